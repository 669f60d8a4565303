"""Who sees which self-assessment: the partner its own organisation's, the coordinator every
one of its cluster's rounds. Nobody else sees single answers (HCSS and the focal points see
the aggregates only)."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from clusters.models import Role
from clusters.selectors import role_assignments, user_roles
from commitments.models import Answer, AssessmentStatus, RoundStatus, SelfAssessment
from commitments.selectors.rounds import _active, coordinated_ids


def _represents(user) -> Q:
    """Whether `user` represents the assessment's organisation in its round's cluster: one
    condition for each (cluster, organisation) of their roles, read with the roles."""
    scope = Q()
    for row in role_assignments(user):
        if row.role == Role.PARTNER_REPRESENTATIVE:
            scope |= Q(
                round__country_cluster=row.country_cluster_id, organisation=row.organisation_id
            )
    return scope


def _scope(user, **coordinated) -> QuerySet[SelfAssessment]:
    """The assessments of the organisations `user` represents, and those of the clusters
    they coordinate that match `coordinated`. A branch only for a role the user holds
    (remembered on the user): without it, it finds nothing and costs its query."""
    if not _active(user):
        return SelfAssessment.objects.none()
    roles = user_roles(user)
    scope = Q()
    if Role.PARTNER_REPRESENTATIVE in roles:
        scope |= _represents(user)
    if Role.CLUSTER_COORDINATOR in roles:
        scope |= Q(round__country_cluster__in=coordinated_ids(user), **coordinated)
    if not scope:
        return SelfAssessment.objects.none()
    return SelfAssessment.objects.filter(scope)


def assessments_answered_by(user) -> QuerySet[SelfAssessment]:
    """The self-assessments of the organisations `user` represents, in their clusters."""
    represents = _represents(user) if _active(user) else Q()
    if not represents:
        return SelfAssessment.objects.none()
    return SelfAssessment.objects.filter(represents)


def assessments_visible_to(user) -> QuerySet[SelfAssessment]:
    """The self-assessments `user` may open: their own organisation's, and every one of the
    rounds of the clusters they coordinate (whose answers they read once submitted)."""
    return _scope(user)


def answers_readable_by(user) -> QuerySet[SelfAssessment]:
    """The self-assessments whose answers `user` may read: their own organisation's, drafts
    too; their clusters' once submitted (a draft is the partner's until it is sent)."""
    return _scope(user, status=AssessmentStatus.SUBMITTED)


def may_read_answers(user, assessment: SelfAssessment) -> bool:
    return answers_readable_by(user).filter(pk=assessment.pk).exists()


def may_answer(user, assessment: SelfAssessment) -> bool:
    """Only the organisation's representatives answer for it (not its coordinator)."""
    return assessments_answered_by(user).filter(pk=assessment.pk).exists()


def get_assessment_for(user, pk) -> SelfAssessment:
    """The self-assessment `pk` if `user` may read it; otherwise 404."""
    found = (
        assessments_visible_to(user)
        .select_related(
            "organisation",
            "round__framework",
            "round__country_cluster__country",
            "round__country_cluster__global_cluster",
            "submitted_by",
            "updated_by",
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such self-assessment.")
    return found


def answers_by_item(assessment: SelfAssessment) -> dict[int, Answer]:
    """The assessment's answers, by item pk (one query)."""
    return {answer.item_id: answer for answer in Answer.objects.filter(assessment=assessment)}


def obstacles_of(assessment: SelfAssessment) -> list[str]:
    return list(assessment.obstacles.values_list("obstacle", flat=True))


def round_assessments(round_) -> QuerySet[SelfAssessment]:
    """Every self-assessment of a round with its organisation, for its coordinator."""
    return (
        SelfAssessment.objects.filter(round=round_)
        .select_related("organisation", "submitted_by")
        .order_by("organisation__name")
    )


def own_assessments(user, round_) -> list[SelfAssessment]:
    """The assessments of the round that `user` answers for (usually one); no query for who
    represents no organisation."""
    if not _active(user) or Role.PARTNER_REPRESENTATIVE not in user_roles(user):
        return []
    return list(
        assessments_answered_by(user).filter(round=round_).select_related("organisation", "round")
    )


def open_assessments_for(user, today: datetime.date | None = None) -> QuerySet[SelfAssessment]:
    """The drafts `user` still has to submit, in rounds that accept answers (home page)."""
    today = today or timezone.localdate()
    return (
        assessments_answered_by(user)
        .filter(
            status=AssessmentStatus.DRAFT,
            round__status=RoundStatus.OPEN,
            round__closes_on__gte=today,
        )
        .select_related(
            "organisation",
            "round__country_cluster__country",
            "round__country_cluster__global_cluster",
        )
        .order_by("round__closes_on", "pk")
    )


def get_answer_file_for(user, pk) -> Answer:
    """An answer's evidence file, to whoever may read the answer; otherwise 404."""
    found = (
        Answer.objects.filter(pk=pk, assessment__in=answers_readable_by(user).values("pk"))
        .exclude(file="")
        .only("file", "file_name", "file_type")
        .first()
    )
    if found is None:
        raise Http404("No such file.")
    return found
