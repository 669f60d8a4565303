"""Follow-up reads: whose action points and improvement plans each user sees, the tracker
with its filters and figures. Every point and plan that reaches a page, export or feed comes
through `action_points_visible_to` or `plans_visible_to`."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.http import Http404
from django.utils import timezone

from clusters.models import CountryCluster, GlobalCluster, Role
from clusters.selectors import assigned, user_roles
from missions.models import (
    TEAM_CODENAMES,
    ActionPoint,
    ActionPointLog,
    Evidence,
    ImprovementPlan,
    Mission,
    MissionUserObjectPermission,
    PointReminder,
    PointTally,
    ProgressUpdate,
)
from missions.models.followup import LIVE_POINT_STATES, PointStatus
from missions.selectors.missions import COUNTRY_ROLES, held_mission_ids, missions_on_team_of

# The roles that follow every mission's points.
ALL_POINTS_ROLES = {Role.HCSS, Role.GCC}
# The role that sees the plans of its clusters (the country roles see their country's points).
PLAN_ROLE = Role.CLUSTER_FOCAL_POINT


def _country_ids(user, roles=COUNTRY_ROLES) -> list[int]:
    return assigned(user, roles, "country_id")


def _focal_cluster_ids(user) -> list[int]:
    return assigned(user, PLAN_ROLE, "global_cluster_id")


def _team_mission_ids(user) -> list[int]:
    """The missions whose team `user` is on or leads."""
    return held_mission_ids(user, *TEAM_CODENAMES)


def action_points_visible_to(user) -> QuerySet[ActionPoint]:
    """The action points `user` may see.

    HCSS and the GCC see all; the mission's leader and team see their mission's; the owner
    sees theirs; the country's RC/HC office and HCT see their country's; the focal point who
    supports an improvement plan (a global cluster focal point of its cluster) sees the plan's
    points. Anyone else: none.
    """
    if not user.is_authenticated or not user.is_active:
        return ActionPoint.objects.none()
    if user.is_superuser or user_roles(user) & ALL_POINTS_ROLES:
        return ActionPoint.objects.all()
    return ActionPoint.objects.filter(_visible_points(user))


def _visible_points(user) -> Q:
    """The points `user` sees other than by a global role.

    Their own and their team's: an OR of two indexed lookups of values (the user, their
    missions' ids), which the database reads as two index scans. The country and plan
    branches, for who holds their roles, are subqueries: an OR with those defeats every
    index and reads all the points of all the missions, so that the scope is then a UNION
    of one indexed lookup per way of seeing them (each branch costs the page its compiling
    and planning, on every query of the scope)."""
    roles = user_roles(user)
    direct = Q(owner=user)
    team = _team_mission_ids(user)
    if team:
        direct |= Q(mission__in=team)
    branches = []
    if roles.intersection(COUNTRY_ROLES):
        branches.append(
            ActionPoint.objects.filter(
                mission__in=Mission.objects.filter(country__in=_country_ids(user)).values("pk")
            )
        )
    if PLAN_ROLE in roles:
        branches.append(
            ActionPoint.objects.filter(
                plan__in=ImprovementPlan.objects.filter(
                    country_cluster__global_cluster__in=_focal_cluster_ids(user)
                ).values("pk")
            )
        )
    if not branches:
        return direct
    first, *rest = (
        branch.order_by().values("pk") for branch in [ActionPoint.objects.filter(direct), *branches]
    )
    return Q(pk__in=first.union(*rest))


def plans_visible_to(user) -> QuerySet[ImprovementPlan]:
    """The improvement plans `user` may see: those whose points they may see as a whole
    (HCSS, GCC, the mission's team, the country), and those of the clusters they support."""
    if not user.is_authenticated or not user.is_active:
        return ImprovementPlan.objects.none()
    if user.is_superuser or user_roles(user) & ALL_POINTS_ROLES:
        return ImprovementPlan.objects.all()
    return ImprovementPlan.objects.filter(
        Q(mission__in=_team_mission_ids(user))
        | Q(mission__country__in=_country_ids(user))
        | Q(country_cluster__global_cluster__in=_focal_cluster_ids(user))
        | Q(supported_by=user)
    )


def get_point_for(user, pk) -> ActionPoint:
    """The point `pk` if `user` may see it; otherwise 404, whether or not it exists."""
    point = (
        action_points_visible_to(user)
        .select_related("mission__country", "owner", "plan__country_cluster__global_cluster")
        .select_related("organisation", "global_cluster", "country_cluster__global_cluster")
        .filter(pk=pk)
        .first()
    )
    if point is None:
        raise Http404("No such action point.")
    return point


def get_plan_for(user, pk) -> ImprovementPlan:
    plan = (
        plans_visible_to(user)
        .select_related("mission__country", "country_cluster__global_cluster", "supported_by")
        .filter(pk=pk)
        .first()
    )
    if plan is None:
        raise Http404("No such improvement plan.")
    return plan


def get_evidence_for(user, pk) -> Evidence:
    """An evidence file of a point `user` may see; otherwise 404."""
    item = (
        Evidence.objects.filter(pk=pk, update__point__in=action_points_visible_to(user))
        .only("file", "original_name", "content_type")
        .first()
    )
    if item is None:
        raise Http404("No such file.")
    return item


def point_history(point: ActionPoint) -> dict:
    """Everything that happened to a point: transitions, updates with evidence, reminders."""
    return {
        "log": list(ActionPointLog.objects.filter(point=point).select_related("user")),
        "updates": list(
            ProgressUpdate.objects.filter(point=point)
            .select_related("author")
            .prefetch_related("evidence")
        ),
        "reminders": list(
            PointReminder.objects.filter(point=point).select_related("recipient", "notification")
        ),
    }


# The tracker ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackerFilters:
    """What the leader narrows the tracker to (each empty means "any")."""

    status: str = ""
    addressee: str = ""  # an Addressee kind
    cluster: int | None = None
    level: str = ""
    due_before: datetime.date | None = None
    overdue: bool = False


# The order of every list of points: what is due first.
POINT_ORDER = ("due_on", "mission_id", "number")
# What a list of points shows of each point's mission (its state too: the state machine reads
# it as each instance is built), and of its addressee and owner.
MISSION_SHOWN = ("title", "country", *Mission.STATUS_FIELDS)
ADDRESSEE_SHOWN = (
    "organisation__name",
    "organisation__acronym",
    "country_cluster__country",
    "country_cluster__global_cluster",
    "country_cluster__country__code",
    "country_cluster__country__name",
)
OWNER_SHOWN = ("owner__username", "owner__first_name", "owner__last_name")


def for_display(
    points: QuerySet[ActionPoint], read_owner: bool = True, table: bool = False
) -> QuerySet[ActionPoint]:
    """The columns every list of points shows, in one query, but for what many points share:
    `with_shared` adds their missions and clusters to the rows. `read_owner`: False where the
    caller sets each point's owner itself (`points_page`, for my points). `table`: only the
    points table's columns (`TABLE_FIELDS`), not the long texts and times an export has."""
    # The addressee and the owner: a small row of each, joined. A query apiece cost the page
    # more than the joins; the five tables of every addressee kind took PostgreSQL longer to
    # plan than the query took to run (the clusters come from `with_shared`).
    joined, shown = ["organisation", "country_cluster__country"], [*ADDRESSEE_SHOWN]
    if read_owner:
        joined.append("owner")
        shown += OWNER_SHOWN
    return (
        points.select_related(*joined)
        .only(*(TABLE_FIELDS if table else _POINT_FIELDS), *shown)
        .annotate(
            # Subqueries, not a join and GROUP BY over every column of every point.
            update_count=Coalesce(
                Subquery(
                    ProgressUpdate.objects.filter(point=OuterRef("pk"))
                    .order_by()
                    .values("point")
                    .annotate(n=Count("pk"))
                    .values("n")
                ),
                0,
            ),
            # Whether the owner is on the team (so someone else verifies): one subquery.
            owner_on_team=Exists(
                MissionUserObjectPermission.objects.filter(
                    content_object=OuterRef("mission"),
                    user=OuterRef("owner"),
                    permission__codename__in=TEAM_CODENAMES,
                )
            ),
        )
        .order_by(*POINT_ORDER)
    )


def with_shared(
    points: Iterable[ActionPoint],
    missions: Mapping[int, Mission] | None = None,
    clusters: Mapping[int, GlobalCluster] | None = None,
) -> list[ActionPoint]:
    """`points` (from `for_display`) as a list, with what many of them share, each read and
    built once: their missions (with the columns a list shows: a mission row has forty, most
    of them long texts), and their clusters: `cluster_list` (in the clusters' order), the
    global cluster a point is addressed to and its country cluster's, from one read of the
    clusters they name. Django's prefetches would read the clusters once for each of the
    three, and the many-to-many's join builds a cluster again for every point naming it.

    `missions` (by key, with MISSION_SHOWN and their country), `clusters` (every cluster by
    key, in their order): what the page has read already (the tracker's missions and its
    filters' clusters); the missions it lacks are read."""
    points = list(points)
    missions = dict(missions or {})
    lacking = {point.mission_id for point in points} - missions.keys()
    if lacking:
        missions.update(
            Mission.objects.only(*MISSION_SHOWN)
            .select_related("country")
            .order_by()
            .in_bulk(lacking)
        )
    clusters = dict(clusters or {})
    pairs = list(
        ActionPoint.clusters.through.objects.filter(
            actionpoint__in=[point.pk for point in points]
        ).values_list("actionpoint_id", "globalcluster_id")
    )
    wanted = {cluster for _point, cluster in pairs}
    for point in points:
        _POINTS_MISSION.set_cached_value(point, missions[point.mission_id])
        wanted.add(point.global_cluster_id)
        if point.country_cluster_id is not None:
            wanted.add(point.country_cluster.global_cluster_id)
    wanted.discard(None)
    # Read (in their order) the clusters not given: all of them, or one added since.
    if wanted - clusters.keys():
        clusters.update(
            (cluster.pk, cluster)
            for cluster in GlobalCluster.objects.filter(pk__in=wanted - clusters.keys())
        )
    named: dict[int, list[GlobalCluster]] = {}
    for point_id, cluster in pairs:
        named.setdefault(point_id, []).append(clusters[cluster])
    rank = {pk: index for index, pk in enumerate(clusters)}  # the clusters' own ordering
    for point in points:
        point.cluster_list = sorted(named.get(point.pk, ()), key=lambda c: rank[c.pk])
        if point.global_cluster_id is not None:
            _ADDRESSED_CLUSTER.set_cached_value(point, clusters[point.global_cluster_id])
        if point.country_cluster_id is not None:
            country_cluster = point.country_cluster
            _COUNTRY_CLUSTERS_CLUSTER.set_cached_value(
                country_cluster, clusters[country_cluster.global_cluster_id]
            )
    return points


_POINT_FIELDS = tuple(field.name for field in ActionPoint._meta.concrete_fields)
# What the points table (missions.templatetags.points) reads of a point: the other columns are
# long texts and times that only the point's page and the exports show (a third of the row,
# three timestamps to parse each).
TABLE_FIELDS = (
    "id",
    "mission",
    "number",
    "reference",
    "text",
    "addressee_kind",
    "organisation",
    "global_cluster",
    "country_cluster",
    "addressee_role",
    "level",
    "owner",
    "due_on",
    "priority",
    "status",
    "verified_at",
)
_POINTS_MISSION = ActionPoint._meta.get_field("mission")
_ADDRESSED_CLUSTER = ActionPoint._meta.get_field("global_cluster")
_COUNTRY_CLUSTERS_CLUSTER = CountryCluster._meta.get_field("global_cluster")


def points_page(
    points: QuerySet[ActionPoint],
    number,
    per_page: int,
    count: int | None = None,
    owner=None,
    missions: Mapping[int, Mission] | None = None,
    clusters: Mapping[int, GlobalCluster] | None = None,
) -> Page:
    """Page `number` of `points`, each with the columns of `for_display` and `with_shared`;
    `count`: how many `points` are, when the caller has counted them already; `owner`: who
    owns them all, when the caller knows it (my points); `missions`, `clusters`: as for
    `with_shared`.

    The page's ids are a subquery of the narrow query (the scope and the order, LIMITed),
    so that the database picks the user's points by index first; the displayed tables are
    joined to those ids only. A single query that joins every displayed table to the scope
    is past PostgreSQL's join_collapse_limit: it joins all the points of all the missions
    before it narrows them, and a deep page joins every row its offset skips (page 1,000 of
    100,000 points: 370 ms so, 19 ms when the offset skips ids). Reading the ids first, in a
    query of their own, cost a round trip more. An owner's points need no such step: the
    owner index finds them (a few hundred). `for_display` orders the page as the ids are
    (POINT_ORDER ends with the point's number in its mission: one order)."""
    if owner is not None:
        paginator = Paginator(for_display(points, read_owner=False, table=True), per_page)
    else:
        paginator = Paginator(points.order_by(*POINT_ORDER).values("pk"), per_page)
    if count is not None:
        paginator.count = count  # Paginator.count is a cached property: this is its value
    page = paginator.get_page(number)
    if owner is None:
        page.object_list = for_display(
            ActionPoint.objects.filter(pk__in=page.object_list), table=True
        )
    page.object_list = with_shared(page.object_list, missions, clusters)
    if owner is not None:
        for point in page.object_list:
            if point.owner_id == owner.pk:  # the caller's word, checked
                point.owner = owner
    return page


def tracker_points(
    user, filters: TrackerFilters, mission: Mission | None = None
) -> QuerySet[ActionPoint]:
    """The points of the tracker: in the user's scope, the mission's (or all of the user's
    missions'), narrowed by the filters; `for_display` adds the columns of a page. Each
    filter keeps one row per point (no join), so the figures count without DISTINCT."""
    points = action_points_visible_to(user)
    if mission is not None:
        points = points.filter(mission=mission)
    if filters.status:
        points = points.filter(status=filters.status)
    if filters.addressee:
        points = points.filter(addressee_kind=filters.addressee)
    if filters.cluster:
        points = points.filter(
            pk__in=ActionPoint.clusters.through.objects.filter(
                globalcluster=filters.cluster
            ).values("actionpoint")
        )
    if filters.level:
        points = points.filter(level=filters.level)
    if filters.due_before:
        points = points.filter(due_on__lte=filters.due_before)
    if filters.overdue:
        points = points.filter(status__in=LIVE_POINT_STATES, due_on__lt=timezone.localdate())
    return points


def tracker_missions(user) -> QuerySet[Mission]:
    """The missions whose points the user tracks as leader or team member."""
    return missions_on_team_of(user)


@dataclass(frozen=True)
class PointFigures:
    """`by_addressee`: a row per kind of addressee (`addressee`, `counts` as (status, label,
    n) in the states' order, `total`); `by_month`: ("YYYY-MM", points done), oldest first."""

    by_addressee: list[dict]
    by_month: list[tuple[str, int]]


def point_figures(points: QuerySet[ActionPoint], months: int = 12) -> PointFigures:
    """The tracker's figures: the counts of `points` by addressee kind and status, and how
    many were done in each of the last `months` months (oldest first).

    A scope or a filter narrows the points first: one query then (each query of the scope
    costs its compiling and planning again). For every point unfiltered (HCSS, the GCC),
    the counts are the database's tally (PointTally), and the months done a range of an
    index: counting them all scanned the whole table (30 ms at 100,000 points, and 7 ms
    off an index)."""
    today = timezone.localdate()
    year, month = divmod(today.year * 12 + today.month - 1 - (months - 1), 12)
    start = datetime.date(year, month + 1, 1)
    table: dict[str, dict[str, int]] = {}
    done: dict[str, int] = {}
    if points.query.has_filters():
        rows = (
            points.order_by()
            .annotate(
                month=Case(
                    When(
                        status=PointStatus.DONE,
                        done_at__date__gte=start,
                        then=TruncMonth("done_at"),
                    ),
                )
            )
            .values("addressee_kind", "status", "month")
            .annotate(n=Count("pk"))
            .order_by("addressee_kind", "status")
        )
    else:
        rows = (
            PointTally.objects.values("addressee_kind", "status")
            .annotate(n=Sum("points"))
            .filter(n__gt=0)
            .order_by("addressee_kind", "status")
        )
        since = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
        for row in (
            points.filter(status=PointStatus.DONE, done_at__gte=since)
            .annotate(month=TruncMonth("done_at"))
            .values("month")
            .annotate(n=Count("*"))
            .order_by()
        ):
            key = _month_key(row["month"])
            done[key] = done.get(key, 0) + row["n"]
    for row in rows:
        counts = table.setdefault(row["addressee_kind"], {})
        counts[row["status"]] = counts.get(row["status"], 0) + row["n"]
        if row.get("month") is not None:
            key = _month_key(row["month"])
            done[key] = done.get(key, 0) + row["n"]
    labels = dict(ActionPoint.Addressee.choices)
    by_addressee = [
        {
            "addressee": labels.get(kind, kind),
            "counts": [
                (status, label, counts.get(status, 0)) for status, label in PointStatus.choices
            ],
            "total": sum(counts.values()),
        }
        for kind, counts in table.items()
    ]
    by_month, month = [], start
    for _ in range(months):
        key = _month_key(month)
        by_month.append((key, done.get(key, 0)))
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return PointFigures(by_addressee, by_month)


def _month_key(month: datetime.date | datetime.datetime) -> str:
    return month.strftime("%Y-%m")


def my_action_points(user) -> QuerySet[ActionPoint]:
    """The points `user` owns, still to do first, then the rest."""
    return ActionPoint.objects.filter(owner=user).order_by(*POINT_ORDER)


def my_counts(user, today: datetime.date | None = None) -> dict:
    """How many points `user` owns (`total`), and of those how many are open, due within a
    week, overdue: one query over the user's points (the owner index), for the home page and
    for "my action points", whose pager it counts."""
    today = today or timezone.localdate()
    live = Q(status__in=LIVE_POINT_STATES)
    return ActionPoint.objects.filter(owner=user).aggregate(
        total=Count("pk"),
        open=Count("pk", filter=live),
        due_soon=Count(
            "pk", filter=live & Q(due_on__gte=today, due_on__lte=today + datetime.timedelta(7))
        ),
        overdue=Count("pk", filter=live & Q(due_on__lt=today)),
    )


def plan_points(plan: ImprovementPlan, user) -> QuerySet[ActionPoint]:
    """The plan's points that `user` may see."""
    return action_points_visible_to(user).filter(plan=plan)


def plan_progress(plan: ImprovementPlan) -> dict:
    """The plan at a glance: points by status and the share settled."""
    counts = dict(
        plan.points.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    total = sum(counts.values())
    done = counts.get(PointStatus.DONE, 0)
    return {
        "total": total,
        "by_status": [(s, label, counts.get(s, 0)) for s, label in PointStatus.choices],
        "done_share": round(100 * done / total) if total else 0,
    }


def plans_with_points(mission: Mission) -> QuerySet[ImprovementPlan]:
    return ImprovementPlan.objects.filter(mission=mission).prefetch_related(
        Prefetch("points", queryset=ActionPoint.objects.order_by("number"))
    )
