"""The leader's election on the web: one page for everyone who sees the mission, and the
actions that go with it (the GCC opens with a deadline, moves it, closes, or records a small
team's open agreement; members stand and vote).

Thin: each view parses a form, calls one service, renders or redirects. Out of scope is a
404; a step the user may not take is refused (403) with the service's message. Counts reach
the template only for rounds that were counted (missions.services.election.election_rounds),
and no message ever names the candidate voted for.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clusters.form_errors import show_on_form
from missions.forms.election import (
    AgreeForm,
    CloseForm,
    ExtendForm,
    OpenForm,
    StandForm,
    VoteForm,
)
from missions.models import Election, Mission
from missions.selectors.missions import get_mission_for
from missions.services.election import (
    MIN_BALLOTS,
    election_agree,
    election_close,
    election_closes_early,
    election_extend,
    election_open,
    election_options,
    election_rounds,
    election_stand,
    election_vote,
    election_voters,
    election_withdraw_candidacy,
    team_member,
    when,
)
from missions.workflow import holds


def _render_page(
    request: HttpRequest,
    mission: Mission,
    *,
    forms: dict[str, Form] | None = None,
    error: str = "",
) -> HttpResponse:
    rounds = election_rounds(mission)
    current = rounds[-1] if rounds else None
    election = current.election if current else None
    options = election_options(mission, request.user, election)
    voters = election_voters(election) if current else []
    forms = forms or {}
    context = {
        "mission": mission,
        "current": current,
        "earlier": rounds[:-1],
        "voters": voters,
        "voted_count": sum(voter.voted for voter in voters),
        "options": options,
        "min_ballots": MIN_BALLOTS,
        "closes": when(election.closes_at) if election and election.closes_at else "",
        "stand_form": forms.get("stand") or StandForm(),
        "vote_form": forms.get("vote")
        or VoteForm(candidates=current.candidates if current else []),
        "open_form": forms.get("open") or OpenForm(),
        "extend_form": forms.get("extend") or ExtendForm(election=election),
        "close_form": forms.get("close")
        or CloseForm(election=election, early=options["close_early"]),
        "agree_form": forms.get("agree") or AgreeForm(mission=mission),
        "error": error,
    }
    return render(request, "missions/election/election.html", context, status=400 if error else 200)


NOT_CAST = gettext_lazy("Your vote is not cast yet.")
# The service's refusals (missions.services.election), checked here before the form is read.
GCC_ONLY = gettext_lazy("Only the GCC opens and closes the election.")
MEMBERS_ONLY = gettext_lazy("Only the members of the mission's team stand and vote.")


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


def _act(request: HttpRequest, pk: int, service, success) -> HttpResponse:
    """Take one candidate step: out of role is refused (403), any other refusal a message."""
    mission = get_mission_for(request.user, pk)
    try:
        result = service(mission, request.user)
    except ValidationError as error:
        messages.error(request, _message(error))
    else:
        messages.success(request, success(result))
    return redirect("missions:election", pk=mission.pk)


def _gcc_mission(request: HttpRequest, pk: int) -> Mission:
    """The mission, for one of the GCC's steps: anyone else who sees it is refused (403)."""
    mission = get_mission_for(request.user, pk)
    if not holds(request.user, "plan_mission", mission):
        raise PermissionDenied(GCC_ONLY)
    return mission


def _gcc_step(request: HttpRequest, mission: Mission, name: str, form: Form, call, success):
    """Run one GCC step from its form: a field's refusal is shown at the field (the page
    again, 400), any other refusal as a message."""
    if form.is_valid():
        try:
            result = call(form.cleaned_data)
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, _message(error))
                return redirect("missions:election", pk=mission.pk)
            show_on_form(form, error)
        else:
            messages.success(request, success(result))
            return redirect("missions:election", pk=mission.pk)
    return _render_page(
        request, mission, forms={name: form}, error=_("Nothing was changed: see below.")
    )


@login_required
def election_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_page(request, get_mission_for(request.user, pk))


@login_required
@require_POST
def election_open_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = _gcc_mission(request, pk)
    return _gcc_step(
        request,
        mission,
        "open",
        OpenForm(request.POST),
        lambda data: election_open(mission, request.user, closes_at=data["closes_at"]),
        lambda election: (
            _("The election is open until %(deadline)s: the team has been told.")
            % {"deadline": when(election.closes_at)}
        ),
    )


@login_required
@require_POST
def election_extend_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = _gcc_mission(request, pk)
    return _gcc_step(
        request,
        mission,
        "extend",
        ExtendForm(request.POST),
        lambda data: election_extend(mission, request.user, data["closes_at"]),
        lambda election: (
            _("Voting now closes on %(deadline)s.") % {"deadline": when(election.closes_at)}
        ),
    )


@login_required
@require_POST
def election_agree_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = _gcc_mission(request, pk)
    return _gcc_step(
        request,
        mission,
        "agree",
        AgreeForm(request.POST, mission=mission),
        lambda data: election_agree(
            mission, request.user, member=data["member"], agreement=data["agreement"]
        ),
        lambda election: election.outcome,
    )


@login_required
@require_POST
def election_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = _gcc_mission(request, pk)
    current = Election.objects.filter(mission=mission, closed_at__isnull=True).first()
    return _gcc_step(
        request,
        mission,
        "close",
        CloseForm(request.POST, election=current, early=election_closes_early(current)),
        lambda data: election_close(mission, request.user),
        lambda election: (
            _("Round %(round)s is closed. %(outcome)s")
            % {"round": election.round, "outcome": election.outcome}
        ),
    )


@login_required
@require_POST
def election_stand_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    if team_member(mission, request.user) is None:
        raise PermissionDenied(MEMBERS_ONLY)
    form = StandForm(request.POST)
    if form.is_valid():
        try:
            election_stand(mission, request.user, form.cleaned_data["statement"])
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, _message(error))
                return redirect("missions:election", pk=mission.pk)
            show_on_form(form, error)
        else:
            messages.success(request, _("You stand as a candidate."))
            return redirect("missions:election", pk=mission.pk)
    return _render_page(
        request, mission, forms={"stand": form}, error=_("Your candidacy is not recorded yet.")
    )


@login_required
@require_POST
def election_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        election_withdraw_candidacy,
        lambda _result: _("You no longer stand as a candidate."),
    )


@login_required
@require_POST
def election_vote_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    if team_member(mission, request.user) is None:
        raise PermissionDenied(MEMBERS_ONLY)
    rounds = election_rounds(mission)
    candidates = rounds[-1].candidates if rounds and rounds[-1].is_open else []
    form = VoteForm(request.POST, candidates=candidates)
    choice = None
    if candidates:
        if not form.is_valid():
            return _render_page(request, mission, forms={"vote": form}, error=NOT_CAST)
        choice = form.cleaned_data["candidate"]
    # With nothing to choose from (no round open, nobody standing) the service says why.
    try:
        election_vote(mission, request.user, choice)
    except ValidationError as error:
        if hasattr(error, "error_dict") and candidates:
            show_on_form(form, error)
            return _render_page(request, mission, forms={"vote": form}, error=NOT_CAST)
        messages.error(request, _message(error))
    else:
        # Deliberately not naming the candidate: the page may be read over a shoulder.
        messages.success(request, _("Your vote is cast. It is secret and counted."))
    return redirect("missions:election", pk=mission.pk)
