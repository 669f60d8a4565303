"""The Task Team board: every forwarded request, ranked; scoring, ranking and decisions.

Task Team members act on it; HCSS sees it read-only, and is refused (403, with the reason)
what it asks to do on it. Anyone else gets 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clusters.models import Role
from clusters.selectors import user_roles
from missions.forms.prioritisation import DecisionForm, RankAdjustmentForm, ScorecardForm
from missions.selectors.missions import get_mission_for, missions_visible_to
from missions.services.prioritisation import (
    active_criteria,
    board_row_for,
    mission_decide,
    rank_adjust,
    score_record,
    scores_by,
    task_team_board,
)
from missions.workflow import (
    BOARD_STATES,
    MissionNotFound,
    TransitionError,
    TransitionNotPermitted,
    status_in_sentence,
)

# What HCSS, who reads the board, is told when it posts to it. Scoring and ranking say what
# their services say; the decision is one of the runner's steps, named as the runner does.
SCORE_REFUSED = gettext_lazy("Only Task Team members score requests.")
RANK_REFUSED = gettext_lazy("Only Task Team members adjust the ranking.")
DECIDE_REFUSED = gettext_lazy(
    "You may not take the step 'Approve', 'Decline' or 'Defer' on this mission: only Task Team "
    "members decide."
)


def _board_access(request: HttpRequest) -> bool:
    """Returns whether the user may act on the board; 404 for those who may not see it."""
    roles = user_roles(request.user)
    if Role.TASK_TEAM in roles:
        return True
    if Role.HCSS in roles:
        return False
    raise Http404("No such page.")


BOARD_PAGE_SIZE = 50


def _board_mission(request: HttpRequest, pk: int):
    return get_mission_for(
        request.user, pk, missions_visible_to(request.user).filter(status__in=BOARD_STATES)
    )


@login_required
def board(request: HttpRequest) -> HttpResponse:
    can_act = _board_access(request)
    criteria = active_criteria()
    rows = task_team_board(request.user, criteria)
    # Ranked as a whole, shown fifty ranks a page: a light page on a field office's line.
    page = Paginator(rows, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "missions/board.html",
        {"rows": rows, "page": page, "can_act": can_act, "criteria": criteria},
    )


def _render_request(
    request, mission, can_act, *, scorecard=None, decision=None, rank=None, error=None, status=200
):
    criteria = active_criteria()
    context = {
        "mission": mission,
        "row": board_row_for(request.user, mission),
        "can_act": can_act,
        "criteria": criteria,
        "scorecard": scorecard
        or ScorecardForm(criteria=criteria, initial_scores=scores_by(request.user, mission)),
        "decision": decision
        or DecisionForm(
            initial={"agreed_focus": mission.agreed_focus, "draft_tor": mission.draft_tor}
        ),
        "rank_form": rank or RankAdjustmentForm(),
        "adjustments": mission.rank_adjustments.select_related("user")[:10],
        # The criteria ask about them: the evidence stays in front of the scorer.
        "attachments": list(mission.attachments.all()),
        "error": error,
    }
    return render(request, "missions/board_request.html", context, status=status)


@login_required
def board_request(request: HttpRequest, pk: int) -> HttpResponse:
    can_act = _board_access(request)
    return _render_request(request, _board_mission(request, pk), can_act)


def _acting_member(request: HttpRequest, pk: int, refusal: str):
    """The request on the board, for a Task Team member; HCSS, who sees it, is refused."""
    can_act = _board_access(request)
    mission = _board_mission(request, pk)
    if not can_act:
        raise PermissionDenied(refusal)
    return mission


@login_required
@require_POST
def board_score(request: HttpRequest, pk: int) -> HttpResponse:
    mission = _acting_member(request, pk, SCORE_REFUSED)
    form = ScorecardForm(request.POST, criteria=active_criteria())
    if form.is_valid():
        try:
            score_record(mission, request.user, form.values())
        except ValidationError as error:
            return _render_request(
                request, mission, True, scorecard=form, error=" ".join(error.messages)
            )
        messages.success(
            request, _("Your scores are saved. You can revise them until the Task Team decides.")
        )
        return redirect("task_team:request", pk=mission.pk)
    return _render_request(request, mission, True, scorecard=form)


@login_required
@require_POST
def board_rank(request: HttpRequest, pk: int) -> HttpResponse:
    mission = _acting_member(request, pk, RANK_REFUSED)
    form = RankAdjustmentForm(request.POST)
    if form.is_valid():
        try:
            rank_adjust(
                mission, request.user, form.cleaned_data["places"], form.cleaned_data["reason"]
            )
        except ValidationError as error:
            return _render_request(
                request, mission, True, rank=form, error=" ".join(error.messages)
            )
        messages.success(request, _("The rank adjustment is recorded."))
        return redirect("task_team:board")
    return _render_request(request, mission, True, rank=form)


@login_required
@require_POST
def board_decide(request: HttpRequest, pk: int) -> HttpResponse:
    mission = _acting_member(request, pk, DECIDE_REFUSED)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _render_request(request, mission, True, decision=form)
    data = form.cleaned_data
    try:
        log = mission_decide(
            mission,
            request.user,
            data["decision"],
            agreed_focus=data["agreed_focus"],
            draft_tor=data["draft_tor"],
            reason=data["reason"],
            revisit_on=data["revisit_on"],
            comment=data["comment"],
            expected_status=request.POST.get("expected_status") or None,
        )
    except MissionNotFound:
        raise Http404("No such mission.") from None
    except TransitionNotPermitted as error:
        raise PermissionDenied(error.message) from None
    except TransitionError as error:
        for item in error.missing:
            if item.field in form.fields:
                form.add_error(item.field, item.message)
        detail = " ".join(m.message for m in error.missing if m.field not in form.fields)
        mission.refresh_from_db()
        return _render_request(
            request, mission, True, decision=form, error=f"{error.message} {detail}".strip()
        )
    messages.success(
        request,
        _(
            "Decision recorded: %(title)s is %(status)s. The RC/HC office and the HCT are being "
            "told."
        )
        % {"title": mission.title, "status": status_in_sentence(log.target)},
    )
    return redirect("task_team:board")
