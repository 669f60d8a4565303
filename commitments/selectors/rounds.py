"""Who sees which country cluster and round, and who acts on them.

- A cluster coordinator (role `cluster_coordinator` of a country cluster) sees its cluster's
  rounds and every answer in them, opens and closes rounds and records the cluster's actions.
- A partner representative (`partner_representative` of a country cluster and organisation)
  sees its cluster's rounds, their aggregates and its own organisation's answers.
- A global cluster focal point sees the aggregates of its global cluster in every country.
- HCSS (and a superuser) sees the aggregates of every cluster.

Nobody else sees anything here: outside the scope is a 404, whether or not it exists. The
scope is read from the user's role rows (no object permissions to keep in step), once a
request: the queries take their ids as values.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from clusters.models import CountryCluster, Role
from clusters.selectors import assigned, user_roles
from commitments.models import AssessmentStatus, Round, RoundStatus, SelfAssessment


def _active(user) -> bool:
    return bool(user.is_authenticated and user.is_active)


def sees_every_cluster(user) -> bool:
    """HCSS and superusers look across every cluster (their aggregates, never one answer)."""
    return _active(user) and (user.is_superuser or Role.HCSS in user_roles(user))


def coordinated_ids(user) -> list[int]:
    """The ids of the country clusters `user` coordinates (read with the user's roles)."""
    if not _active(user):
        return []
    return assigned(user, Role.CLUSTER_COORDINATOR, "country_cluster_id")


def _cluster_scope(user, via: str = "") -> Q:
    """The country clusters `user` sees, as a condition on a model whose country cluster is
    at `via` ("" for CountryCluster itself); empty when they see none. A branch only for a
    role the user holds: each costs every query of the scope its compiling and planning."""
    scope = Q()
    own = assigned(
        user, (Role.CLUSTER_COORDINATOR, Role.PARTNER_REPRESENTATIVE), "country_cluster_id"
    )
    if own:
        scope |= Q(**{f"{via or 'pk'}__in": own})
    focal = assigned(user, Role.CLUSTER_FOCAL_POINT, "global_cluster_id")
    if focal:
        scope |= Q(**{f"{via}{'__' if via else ''}global_cluster__in": focal})
    return scope


def clusters_visible_to(user) -> QuerySet[CountryCluster]:
    """The country clusters whose rounds and aggregates `user` sees."""
    if not _active(user):
        return CountryCluster.objects.none()
    if sees_every_cluster(user):
        return CountryCluster.objects.all()
    scope = _cluster_scope(user)
    return CountryCluster.objects.filter(scope) if scope else CountryCluster.objects.none()


def rounds_visible_to(user) -> QuerySet[Round]:
    """The rounds whose picture (the aggregate) `user` sees."""
    if not _active(user):
        return Round.objects.none()
    if sees_every_cluster(user):
        return Round.objects.all()
    scope = _cluster_scope(user, via="country_cluster")
    return Round.objects.filter(scope) if scope else Round.objects.none()


def rounds_managed_by(user) -> QuerySet[Round]:
    """The rounds `user` coordinates: every answer in them is theirs to read."""
    return Round.objects.filter(country_cluster__in=coordinated_ids(user))


def may_coordinate(user, country_cluster: CountryCluster | int) -> bool:
    pk = country_cluster.pk if isinstance(country_cluster, CountryCluster) else country_cluster
    return pk in coordinated_ids(user)


def get_cluster_for(user, pk) -> CountryCluster:
    """The country cluster `pk` if `user` sees it; otherwise 404."""
    cluster = (
        clusters_visible_to(user).select_related("country", "global_cluster").filter(pk=pk).first()
    )
    if cluster is None:
        raise Http404("No such cluster.")
    return cluster


def _assessments(**filters) -> Coalesce:
    """How many of a round's assessments match `filters` (a subquery of the round)."""
    return Coalesce(
        Subquery(
            SelfAssessment.objects.filter(round=OuterRef("pk"), **filters)
            .order_by()
            .values("round")
            .annotate(n=Count("pk"))
            .values("n")
        ),
        0,
    )


# Built once: a query copies an expression as it takes it (building them cost each page of
# rounds a third of a millisecond).
_INVITED = _assessments()
_SUBMITTED = _assessments(status=AssessmentStatus.SUBMITTED)


def for_display(rounds: QuerySet[Round]) -> QuerySet[Round]:
    """What every list of rounds shows, in one query: the cluster, and how many answered.
    The counts are subqueries, not a join with a GROUP BY over every column shown."""
    return rounds.select_related(
        "country_cluster__country", "country_cluster__global_cluster", "framework"
    ).annotate(invited=_INVITED, submitted=_SUBMITTED)


def get_round_for(user, pk) -> Round:
    """The round `pk` if `user` sees its picture; otherwise 404, whether or not it exists."""
    found = for_display(rounds_visible_to(user)).filter(pk=pk).first()
    if found is None:
        raise Http404("No such round.")
    return found


def round_for_update(user, pk) -> Round:
    """Re-read round `pk` within `user`'s scope and lock it for the current transaction.

    Every write to a round or its answers starts here, so that closing a round and saving an
    answer take turns: nothing is written to a round once it is closed.
    """
    found = (
        rounds_visible_to(user)
        .select_for_update(of=("self",))
        .select_related("country_cluster__country", "country_cluster__global_cluster")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such round.")
    return found


def cluster_rounds(cluster: CountryCluster) -> QuerySet[Round]:
    """A cluster's rounds, newest first, with their counts."""
    return for_display(Round.objects.filter(country_cluster=cluster)).order_by("-period_end", "-pk")


def open_rounds_for(user, today: datetime.date | None = None) -> QuerySet[Round]:
    """The open rounds of the clusters `user` coordinates (their home page)."""
    today = today or timezone.localdate()
    return (
        for_display(rounds_managed_by(user))
        .filter(status=RoundStatus.OPEN, closes_on__gte=today)
        .order_by("closes_on", "pk")
    )
