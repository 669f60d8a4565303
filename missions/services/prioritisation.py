"""The Task Team's prioritisation: scores, the ranked board, rank adjustments and decisions.

A member's score of a request is the weighted mean of their criterion scores, each taken as
a share of its scale; the request's score is the mean over the members who scored it, on a
0-100 scale. The board ranks by score (equal scores: the request waiting longer first);
a manual adjustment moves a request up or down a number of places, with a reason.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from clusters.models import Role
from missions.models import (
    Mission,
    RankAdjustment,
    ReminderSent,
    Score,
    ScoringCriterion,
    TransitionLog,
)
from missions.selectors.missions import missions_visible_to
from missions.services.mission import mission_transition
from missions.services.notices import notify, recipients
from missions.workflow import BOARD_STATES, DECISION_TRANSITIONS, Status, TransitionRefused, holds

logger = logging.getLogger(__name__)


def active_criteria() -> list[ScoringCriterion]:
    return list(ScoringCriterion.objects.filter(active=True))


def _may_decide(user, mission: Mission) -> bool:
    return holds(user, "decide_mission", mission)


@transaction.atomic
def score_record(mission: Mission, member, values: dict[int, int]) -> list[Score]:
    """Record (or revise) `member`'s scores of `mission`: one value per active criterion.

    Raises PermissionDenied for anyone but the Task Team, ValidationError (per criterion id)
    for a missing or out-of-scale value, and once the request has been decided.
    """
    if not _may_decide(member, mission):
        raise PermissionDenied(_("Only Task Team members score requests."))
    mission = Mission.objects.select_for_update().get(pk=mission.pk)
    if mission.status not in BOARD_STATES:
        raise ValidationError(_("This request has been decided; its scores can no longer change."))
    errors = {}
    criteria = active_criteria()
    for criterion in criteria:
        value = values.get(criterion.pk)
        if value is None:
            errors[str(criterion.pk)] = _("Give a score for “%(criterion)s”.") % {
                "criterion": criterion.name
            }
        elif not 0 <= value <= criterion.scale_max:
            errors[str(criterion.pk)] = _("Score “%(criterion)s” from 0 to %(top)d.") % {
                "criterion": criterion.name,
                "top": criterion.scale_max,
            }
    if errors:
        raise ValidationError(errors)
    scores = []
    for criterion in criteria:
        score, _created = Score.objects.update_or_create(
            mission=mission,
            member=member,
            criterion=criterion,
            defaults={"value": values[criterion.pk]},
        )
        scores.append(score)
    return scores


def scores_by(member, mission: Mission) -> dict[int, int]:
    """The member's current values for the mission, by criterion id."""
    return dict(
        Score.objects.filter(mission=mission, member=member).values_list("criterion_id", "value")
    )


def _scores_by_mission(
    mission_ids: list[int], criteria: list[ScoringCriterion]
) -> dict[int, tuple[float, int]]:
    """Each request's score sum and number of scorers, by mission id, in one pass over their
    scores grouped by mission. Two correlated subqueries on every row of the board read the
    scores twice, a request at a time (two thirds of the board's query at 300 requests).

    The active criteria's weights and scales, already read, go in as values: a join to the
    criteria took PostgreSQL longer than the sums (8,000 scores at 300 requests)."""
    if not criteria:
        return {}
    value = Cast(F("value"), FloatField())
    share = Case(
        *(
            When(
                criterion_id=c.pk,
                then=Value(float(c.weight)) * value / Value(float(c.scale_max)),
            )
            for c in criteria
        ),
        output_field=FloatField(),
    )
    rows = (
        Score.objects.filter(mission__in=mission_ids, criterion__in=[c.pk for c in criteria])
        .order_by()
        .values("mission")
        .annotate(total=Sum(share), members=Count("member", distinct=True))
        .values_list("mission", "total", "members")
    )
    return {mission: (total, members) for mission, total, members in rows}


def request_score(score_sum: float | None, scored_by: int, weight_total: int) -> Decimal | None:
    """The request's score on 0-100: the mean over members of their weighted shares."""
    if not scored_by or not weight_total or score_sum is None:
        return None
    # Round away the float noise of the database's division before rounding half up.
    value = Decimal(str(round(100 * score_sum / (weight_total * scored_by), 9)))
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class BoardRow:
    mission: Mission
    score: Decimal | None
    scored_by: int
    adjustment: int
    adjustment_reason: str
    my_scores: dict[int, int] = field(default_factory=dict)
    rank: int = 0
    score_rank: int = 0

    @property
    def scored_by_me(self) -> bool:
        return bool(self.my_scores)


BOARD_FIELDS = (
    "title",
    "mission_type",
    "status",
    "revision_questions",  # status_label asks whether a draft was returned
    "submitted_at",
    "revisit_on",
    "country__code",
    "country__name",
)


def _board_queryset(user) -> QuerySet[Mission]:
    latest = RankAdjustment.objects.filter(mission=OuterRef("pk")).order_by("-at", "-pk")
    return (
        missions_visible_to(user)
        .filter(status__in=BOARD_STATES)
        .select_related("country")
        # What a row shows and ranks by: a request's long texts are read on its own page.
        .only(*BOARD_FIELDS)
        .annotate(
            adjustment=Subquery(latest.values("places")[:1]),
            adjustment_reason=Subquery(latest.values("reason")[:1]),
        )
    )


def rank_rows(rows: list[BoardRow]) -> list[BoardRow]:
    """Order the board: by score (unscored last; ties: waiting longer first), then adjust."""
    never = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    by_score = sorted(
        rows,
        key=lambda r: (
            r.score is None,
            -(r.score or 0),
            r.mission.submitted_at or never,
            r.mission.pk,
        ),
    )
    for position, row in enumerate(by_score, start=1):
        row.score_rank = position
    # A moved request takes the place it was moved to, ahead of the one already there.
    ranked = sorted(
        by_score, key=lambda r: (r.score_rank - r.adjustment, -r.adjustment, r.score_rank)
    )
    for position, row in enumerate(ranked, start=1):
        row.rank = position
    return ranked


def task_team_board(user, criteria: list[ScoringCriterion] | None = None) -> list[BoardRow]:
    """Every request with the Task Team or deferred that `user` may see, ranked; `criteria`:
    the active criteria, when the caller has read them already (the board shows them)."""
    criteria = active_criteria() if criteria is None else criteria
    weight_total = sum(c.weight for c in criteria)
    missions = list(_board_queryset(user))
    ids = [m.pk for m in missions]
    scores = _scores_by_mission(ids, criteria)
    mine: dict[int, dict[int, int]] = {}
    for mission_id, criterion_id, value in Score.objects.filter(
        member=user, mission__in=ids, criterion__in=[c.pk for c in criteria]
    ).values_list("mission_id", "criterion_id", "value"):
        mine.setdefault(mission_id, {})[criterion_id] = value
    rows = []
    for m in missions:
        score_sum, scored_by = scores.get(m.pk, (None, 0))
        rows.append(
            BoardRow(
                mission=m,
                score=request_score(score_sum, scored_by, weight_total),
                scored_by=scored_by,
                adjustment=m.adjustment or 0,
                adjustment_reason=m.adjustment_reason or "",
                my_scores=mine.get(m.pk, {}),
            )
        )
    return rank_rows(rows)


def board_row_for(user, mission: Mission) -> BoardRow | None:
    return next((row for row in task_team_board(user) if row.mission.pk == mission.pk), None)


@transaction.atomic
def rank_adjust(mission: Mission, user, places: int, reason: str) -> RankAdjustment:
    """Move a request `places` up (negative: down) the board; 0 clears. Needs a reason."""
    if not _may_decide(user, mission):
        raise PermissionDenied(_("Only Task Team members adjust the ranking."))
    if mission.status not in BOARD_STATES:
        raise ValidationError(_("Only requests on the board can be moved."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the rank is adjusted.")})
    return RankAdjustment.objects.create(
        mission=mission, places=places, reason=reason.strip(), user=user
    )


def mission_decide(
    mission: Mission,
    user,
    decision: str,
    *,
    agreed_focus: str = "",
    draft_tor: str = "",
    reason: str = "",
    revisit_on: str | datetime.date | None = None,
    comment: str = "",
    expected_status: str | None = None,
) -> TransitionLog:
    """Take the Task Team's decision from the board, keeping a decision record on the mission.

    The priority in force (score and rank) and, for approval, the agreed focus and draft ToR
    are written in the same transaction as the transition: a refused decision keeps none.
    """
    if decision not in DECISION_TRANSITIONS:
        raise TransitionRefused(_("Choose approve, decline or defer."))
    with transaction.atomic():
        row = board_row_for(user, mission)
        record = {}
        if row is not None:
            record = {"priority_score": row.score, "priority_rank": row.rank}
        if decision == "approve":
            record |= {"agreed_focus": agreed_focus.strip(), "draft_tor": draft_tor.strip()}
        if record:
            Mission.objects.filter(pk=mission.pk).update(**record)
        return mission_transition(
            mission,
            decision,
            user,
            comment=comment,
            expected_status=expected_status,
            reason=reason,
            revisit_on=revisit_on,
        )


# The deferral reminder ------------------------------------------------------------------------


def remind_deferred(today: datetime.date | None = None) -> int:
    """Tell the Task Team about deferred requests whose date to revisit has come.

    Once per request and date, however often the scheduler runs. Returns how many reminded.
    """
    today = today or timezone.localdate()
    due = Mission.objects.filter(status=Status.DEFERRED, revisit_on__lte=today).select_related(
        "country"
    )
    reminded = 0
    for mission in due:
        try:
            # The claim and the notices (the outbox) commit together, or neither does.
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        ReminderSent.objects.create(
                            kind="deferral_revisit", mission=mission, due_on=mission.revisit_on
                        )
                except IntegrityError:
                    continue  # claimed already: sent by an earlier tick
                notify(
                    recipients(mission, (Role.TASK_TEAM,)),
                    mission,
                    f"revisit:{mission.pk}:{mission.revisit_on.isoformat()}",
                    "missions/email/revisit",
                    {"today": today},
                )
        except Exception:
            # One mission's failure must not stop the others; it is tried again next tick.
            logger.exception("Deferral reminder for mission %s failed", mission.pk)
            continue
        reminded += 1
    return reminded
