"""The leader's election on the web: one page for everyone who sees the mission, and the
actions that go with it (the GCC opens and closes, members stand and vote).

Thin: each view parses a form, calls one service, renders or redirects. Out of scope, or an
action the user may not take, is a 404. Counts reach the template only for closed rounds
(missions.election.election_rounds), and no message ever names the candidate voted for.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from missions.models import Mission
from missions.selectors.missions import get_mission_for
from missions.services.election import (
    STATEMENT_MAX_LENGTH,
    CandidateRow,
    election_close,
    election_open,
    election_options,
    election_rounds,
    election_stand,
    election_vote,
    election_voters,
    election_withdraw_candidacy,
    team_member,
)
from missions.views.errors import show_on_form


class StandForm(forms.Form):
    statement = forms.CharField(
        label="Your statement",
        required=False,
        max_length=STATEMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Why you would lead this mission and what you bring. The team reads it "
        "before voting; your grade, experience and languages are shown beside it.",
    )


class VoteForm(forms.Form):
    candidate = forms.TypedChoiceField(
        label="Your choice",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a candidate.", "invalid_choice": "Choose a candidate."},
    )

    def __init__(self, *args, candidates: list[CandidateRow] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidate"].choices = [(row.pk, row.name) for row in candidates]


def _render_page(
    request: HttpRequest,
    mission: Mission,
    *,
    stand_form: StandForm | None = None,
    vote_form: VoteForm | None = None,
    error: str = "",
) -> HttpResponse:
    rounds = election_rounds(mission)
    current = rounds[-1] if rounds else None
    options = election_options(mission, request.user, current.election if current else None)
    voters = election_voters(current.election) if current else []
    context = {
        "mission": mission,
        "current": current,
        "earlier": rounds[:-1],
        "voters": voters,
        "voted_count": sum(voter.voted for voter in voters),
        "options": options,
        "stand_form": stand_form or StandForm(),
        "vote_form": vote_form or VoteForm(candidates=current.candidates if current else []),
        "error": error,
    }
    return render(request, "missions/election/election.html", context, status=400 if error else 200)


NOT_CAST = "Your vote is not cast yet."


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


def _act(request: HttpRequest, pk: int, service, success) -> HttpResponse:
    """Take one GCC or candidate step: out of role is a 404, a refusal a message."""
    mission = get_mission_for(request.user, pk)
    try:
        result = service(mission, request.user)
    except PermissionDenied:
        raise Http404("No such page.") from None
    except ValidationError as error:
        messages.error(request, _message(error))
    else:
        messages.success(request, success(result))
    return redirect("missions:election", pk=mission.pk)


@login_required
def election_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_page(request, get_mission_for(request.user, pk))


@login_required
@require_POST
def election_open_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, election_open, lambda _: "The election is open: the team has been told."
    )


@login_required
@require_POST
def election_stand_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    if team_member(mission, request.user) is None:
        raise Http404("No such page.")
    form = StandForm(request.POST)
    if form.is_valid():
        try:
            election_stand(mission, request.user, form.cleaned_data["statement"])
        except PermissionDenied:
            raise Http404("No such page.") from None
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, _message(error))
                return redirect("missions:election", pk=mission.pk)
            show_on_form(form, error)
        else:
            messages.success(request, "You stand as a candidate.")
            return redirect("missions:election", pk=mission.pk)
    return _render_page(
        request, mission, stand_form=form, error="Your candidacy is not recorded yet."
    )


@login_required
@require_POST
def election_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        election_withdraw_candidacy,
        lambda _: "You no longer stand as a candidate.",
    )


@login_required
@require_POST
def election_vote_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    if team_member(mission, request.user) is None:
        raise Http404("No such page.")
    rounds = election_rounds(mission)
    candidates = rounds[-1].candidates if rounds and rounds[-1].is_open else []
    form = VoteForm(request.POST, candidates=candidates)
    choice = None
    if candidates:
        if not form.is_valid():
            return _render_page(request, mission, vote_form=form, error=NOT_CAST)
        choice = form.cleaned_data["candidate"]
    # With nothing to choose from (no round open, nobody standing) the service says why.
    try:
        election_vote(mission, request.user, choice)
    except PermissionDenied:
        raise Http404("No such page.") from None
    except ValidationError as error:
        if hasattr(error, "error_dict") and candidates:
            show_on_form(form, error)
            return _render_page(request, mission, vote_form=form, error=NOT_CAST)
        messages.error(request, _message(error))
    else:
        # Deliberately not naming the candidate: the page may be read over a shoulder.
        messages.success(request, "Your vote is cast. It is secret and counted.")
    return redirect("missions:election", pk=mission.pk)


@login_required
@require_POST
def election_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        election_close,
        lambda election: f"Round {election.round} is closed. {election.outcome}",
    )
