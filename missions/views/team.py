"""The team on the web: the GCC's invitations, the invited focal points' page and nominations,
the GCC's decisions, and the team page.

Thin: each view parses a form, calls one service or selector, renders. Out of scope, or a
page that is not the user's, is a 404; an action on something the user sees but may not take
is refused (403) with the service's message, checked before the form is read.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from clusters.form_errors import show_on_form
from formats.people import person
from missions.forms.team import (
    DecisionForm,
    InvitationForm,
    NominationForm,
    ShareForm,
    WithdrawForm,
)
from missions.models import Invitation, Mission, Nomination
from missions.selectors.missions import get_mission_for
from missions.services.election import mission_leader, withdrawal_undoes
from missions.services.team import (
    account_invitation_resend,
    invitation_share,
    invitations_send,
    invitations_visible_to,
    may_decide,
    may_nominate_through,
    may_resend_account_invitation,
    may_withdraw,
    mission_window,
    nomination_create,
    nomination_decide,
    nomination_withdraw,
    nominations_visible_to,
    sees_all_planning,
    team_confirm,
    team_confirm_missing,
    team_overview,
)
from missions.workflow import PLANNING_STATES, holds


def _not_found() -> Http404:
    return Http404("No such page.")


def _posted(request: HttpRequest):
    """The form data on a POST (even an empty one, which must fail validation), else None."""
    return request.POST if request.method == "POST" else None


def _nominable(user, mission: Mission, invitations: list[Invitation]) -> list[Invitation]:
    """The invitations `user` may nominate through: all for the GCC, their own for a focal
    point (`invitations` is already what they see)."""
    if holds(user, "plan_mission", mission) or holds(user, "nominate_mission", mission):
        return invitations
    return []


# Invitations ------------------------------------------------------------------------------------


@login_required
def invitations(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    visible = list(invitations_visible_to(request.user, mission))
    if not visible and not sees_all_planning(request.user, mission):
        raise _not_found()
    planner = holds(request.user, "plan_mission", mission)
    if request.method == "POST" and not planner:
        raise PermissionDenied(_("Only the GCC invites clusters to a mission."))
    form = None
    if planner:
        form = InvitationForm(_posted(request), mission=mission, invitations=visible)
        if request.method == "POST" and form.is_valid():
            try:
                created = invitations_send(
                    mission,
                    request.user,
                    clusters=form.cleaned_data["clusters"],
                    issues=form.cleaned_data["issues"],
                    message=form.cleaned_data["message"],
                )
            except ValidationError as error:
                show_on_form(form, error)
            else:
                names = ", ".join(str(i.invitee) for i in created) or _("nobody new")
                messages.success(
                    request,
                    _("Invited: %(names)s. Their focal points are told by e-mail.")
                    % {"names": names},
                )
                return redirect("missions:invitations", pk=mission.pk)
    context = {
        "mission": mission,
        "invitations": visible,
        "form": form,
        "may_invite": planner and mission.status in PLANNING_STATES,
        "requested_clusters": list(mission.requested_clusters.all()),
        "requested_issues": list(mission.requested_issues.all()),
    }
    return render(request, "missions/team/invitations.html", context)


@login_required
def invitation(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    """The invited focal points' page; a POST shares it with the cluster's partners."""
    mission = get_mission_for(request.user, pk)
    current = get_object_or_404(invitations_visible_to(request.user, mission), pk=invitation_pk)
    may_act = may_nominate_through(request.user, mission, current)
    if request.method == "POST" and not may_act:
        raise PermissionDenied(_("You may not share this invitation."))
    share_form = ShareForm(_posted(request)) if may_act else None
    if request.method == "POST" and share_form.is_valid():
        try:
            invitation_share(
                current,
                request.user,
                emails=share_form.cleaned_data["emails"],
                note=share_form.cleaned_data["note"],
            )
        except ValidationError as error:
            show_on_form(share_form, error)
        else:
            count = len(share_form.cleaned_data["emails"])
            messages.success(
                request,
                ngettext(
                    "The invitation is on its way to %(count)d address of partners.",
                    "The invitation is on its way to %(count)d addresses of partners.",
                    count,
                )
                % {"count": count},
            )
            return redirect("missions:invitation", pk=mission.pk, invitation_pk=current.pk)
    context = {
        "mission": mission,
        "invitation": current,
        "nominations": nominations_visible_to(request.user, mission).filter(invitation=current),
        "may_act": may_act,
        "in_planning": mission.status in PLANNING_STATES,
        "share_form": share_form,
        "shared_with": [line for line in current.shared_with.splitlines() if line.strip()],
        "window": mission_window(mission),
        "requested_clusters": list(mission.requested_clusters.all()),
        "requested_issues": list(mission.requested_issues.all()),
    }
    return render(request, "missions/team/invitation.html", context)


# Nominations ------------------------------------------------------------------------------------


@login_required
def nomination_new(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    nominable = _nominable(
        request.user, mission, list(invitations_visible_to(request.user, mission))
    )
    if not nominable:
        if request.method == "POST":
            raise PermissionDenied(_("You may not nominate through this invitation."))
        raise _not_found()
    chosen = next((i for i in nominable if str(i.pk) == request.GET.get("invitation")), None)
    if chosen is None and len(nominable) == 1:
        chosen = nominable[0]
    form = NominationForm(_posted(request), invitations=nominable, chosen=chosen)
    if request.method == "POST" and form.is_valid():
        try:
            created = nomination_create(
                mission,
                form.cleaned_data["invitation"],
                request.user,
                **form.nomination_fields(),
            )
        except ValidationError as error:
            show_on_form(form, error)
        else:
            name = created.participant.get_full_name() or created.participant.email
            messages.success(
                request,
                _(
                    "%(name)s is nominated. The GCC will accept or decline the nomination with a "
                    "reason, shown on this page."
                )
                % {"name": name},
            )
            return redirect("missions:nomination", pk=mission.pk, nomination_pk=created.pk)
    context = {
        "mission": mission,
        "form": form,
        "window": mission_window(mission),
        "in_planning": mission.status in PLANNING_STATES,
    }
    return render(request, "missions/team/nomination_form.html", context)


def _render_nomination(
    request: HttpRequest,
    mission: Mission,
    nomination: Nomination,
    decision_form: DecisionForm | None = None,
) -> HttpResponse:
    deciding = may_decide(request.user, mission, nomination)
    start, end = mission_window(mission)
    context = {
        "mission": mission,
        "nomination": nomination,
        "decision_form": (decision_form or DecisionForm()) if deciding else None,
        "may_withdraw": may_withdraw(request.user, mission, nomination),
        "may_resend": may_resend_account_invitation(request.user, mission, nomination),
        "sees_invitation": invitations_visible_to(request.user, mission)
        .filter(pk=nomination.invitation_id)
        .exists(),
        "window": (start, end),
        "overlaps": not (start and end)
        or (nomination.available_from <= end and nomination.available_to >= start),
    }
    return render(request, "missions/team/nomination.html", context)


def _visible_nomination(request: HttpRequest, pk: int, nomination_pk: int):
    mission = get_mission_for(request.user, pk)
    nomination = get_object_or_404(nominations_visible_to(request.user, mission), pk=nomination_pk)
    return mission, nomination


@login_required
def nomination(request: HttpRequest, pk: int, nomination_pk: int) -> HttpResponse:
    mission, current = _visible_nomination(request, pk, nomination_pk)
    return _render_nomination(request, mission, current)


@login_required
@require_POST
def nomination_decide_view(request: HttpRequest, pk: int, nomination_pk: int) -> HttpResponse:
    mission, current = _visible_nomination(request, pk, nomination_pk)
    if not holds(request.user, "plan_mission", mission):
        raise PermissionDenied(_("Only the GCC decides on nominations."))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _render_nomination(request, mission, current, form)
    try:
        decided = nomination_decide(
            current, request.user, accept=form.accept, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            show_on_form(form, error)
            return _render_nomination(request, mission, current, form)
        messages.error(request, " ".join(error.messages))
        return redirect("missions:nomination", pk=mission.pk, nomination_pk=current.pk)
    name = person(decided.participant)
    if form.accept:
        done = _("The nomination of %(name)s is accepted: they are on the team.")
    else:
        done = _("The nomination of %(name)s is declined.")
    messages.success(request, done % {"name": name})
    if form.accept and mission_leader(mission) == decided.participant:
        messages.info(
            request,
            _("%(name)s leads the mission again, as the team chose them.") % {"name": name},
        )
    if request.POST.get("back") == "team":
        return redirect("missions:team", pk=mission.pk)
    return redirect("missions:nomination", pk=mission.pk, nomination_pk=current.pk)


@login_required
def nomination_withdraw_view(request: HttpRequest, pk: int, nomination_pk: int) -> HttpResponse:
    """Withdrawing asks first: GET shows what it undoes and asks for the reason; POST with the
    reason withdraws."""
    mission, current = _visible_nomination(request, pk, nomination_pk)
    if not (
        holds(request.user, "plan_mission", mission) or current.nominated_by_id == request.user.pk
    ):
        if request.method == "POST":
            raise PermissionDenied(_("You may not withdraw this nomination."))
        raise _not_found()
    if not may_withdraw(request.user, mission, current):
        messages.error(
            request,
            _("This nomination is %(status)s: it can no longer be withdrawn.")
            % {"status": current.get_status_display().lower()},
        )
        return redirect("missions:nomination", pk=mission.pk, nomination_pk=current.pk)
    form = WithdrawForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            nomination_withdraw(current, request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect("missions:nomination", pk=mission.pk, nomination_pk=current.pk)
            show_on_form(form, error)
        else:
            messages.success(request, _("The nomination is withdrawn."))
            return redirect("missions:nomination", pk=mission.pk, nomination_pk=current.pk)
    context = {
        "mission": mission,
        "nomination": current,
        "form": form,
        "undoes": withdrawal_undoes(mission, current),
    }
    return render(request, "missions/team/nomination_withdraw.html", context)


# The team ---------------------------------------------------------------------------------------


@login_required
def team(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    planner = holds(request.user, "plan_mission", mission)
    in_planning = mission.status in PLANNING_STATES
    pending = list(
        nominations_visible_to(request.user, mission).filter(status=Nomination.Status.PROPOSED)
    )
    deciding = planner and in_planning
    context = {
        "mission": mission,
        "overview": team_overview(mission),
        "pending": [
            (n, DecisionForm(auto_id=f"id_decide_{n.pk}_%s") if deciding else None) for n in pending
        ],
        # The members whose nomination the user may open: their names link to it.
        "opens": set(
            nominations_visible_to(request.user, mission)
            .filter(status=Nomination.Status.ACCEPTED)
            .values_list("pk", flat=True)
        ),
        "planner": planner,
        "in_planning": in_planning,
        "confirm_missing": team_confirm_missing(mission) if deciding else [],
        "sees_invitations": sees_all_planning(request.user, mission)
        or invitations_visible_to(request.user, mission).exists(),
    }
    return render(request, "missions/team/team.html", context)


@login_required
@require_POST
def team_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    if not holds(request.user, "plan_mission", mission):
        raise PermissionDenied(_("Only the GCC confirms the team."))
    try:
        team_confirm(mission, request.user)
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
    else:
        messages.success(request, _("The team is confirmed. The team can now elect its leader."))
    return redirect("missions:team", pk=mission.pk)


@login_required
@require_POST
def nomination_account_invitation_view(
    request: HttpRequest, pk: int, nomination_pk: int
) -> HttpResponse:
    mission, current = _visible_nomination(request, pk, nomination_pk)
    if not may_resend_account_invitation(request.user, mission, current):
        raise PermissionDenied(_("You may not send this person a new link."))
    account_invitation_resend(current, request.user)
    messages.success(
        request,
        _("A new link to set a password is on its way to %(email)s.")
        % {"email": current.participant.email},
    )
    return redirect("missions:nomination", pk=mission.pk, nomination_pk=current.pk)
