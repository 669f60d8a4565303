"""Seed data for bench/run.py, written through bulk inserts (not the services one by one).

The states, logs and permission rows are set directly: this is seed data, not behaviour. The
services are used only where a handful of rows need their full set-up (the 1,000 role grants,
the one planning mission with its team), since they are what the pages read.

`seed_base()` writes what does not grow with the scale (users and roles, the planning mission,
the commitment rounds); `seed_missions(total)` then tops the missions up to `total`, in the same
mix at every scale, so that the passes at 100, 1,000 and 10,000 missions differ only in size.
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.utils import timezone

from clusters.models import Country, CountryCluster, GlobalCluster, Organisation, Role
from clusters.services import role_grant, role_group
from missions.workflow import Status

BATCH = 2000
USERS = 1000
# Of every 10,000 missions: 300 on the Task Team's board, 200 in planning, 2,000 in follow-up
# (50 action points each: 100,000), the rest spread over every state.
BOARD_SHARE, PLANNING_SHARE, FOLLOW_UP_SHARE = 0.03, 0.02, 0.20
POINTS_PER_FOLLOW_UP = 50
# A recommendation as missions write them: a few lines (the lists truncate it at 140).
POINT_TEXT = (
    "Set up a joint needs assessment working group under the inter-cluster coordination group, "
    "with terms of reference agreed by the HCT and a monthly report to the RC/HC."
)
SCORES_PER_BOARD_REQUEST = 8000 / 300
COMMITMENT_CLUSTERS, ROUNDS_PER_CLUSTER, PARTNERS_PER_CLUSTER = 20, 3, 6

# The transitions from a draft to each state along the main path: (transition, target).
MAIN_PATH = [
    ("submit", Status.SUBMITTED),
    ("start_triage", Status.IN_TRIAGE),
    ("forward", Status.WITH_TASK_TEAM),
    ("approve", Status.APPROVED),
    ("start_planning", Status.IN_PLANNING),
    ("confirm_ready", Status.READY),
    ("deploy", Status.IN_COUNTRY),
    ("leave_country", Status.REPORTING),
    ("distribute_report", Status.FOLLOW_UP),
    ("close", Status.CLOSED),
]
BANDED = (Status.WITH_TASK_TEAM, Status.DEFERRED, Status.IN_PLANNING, Status.FOLLOW_UP)
REST_STATES = [status for status in Status if status not in BANDED]
# One round trip of a request HCSS sent back: it starts and ends in a draft.
REVISION_CYCLE = [
    ("submit", Status.SUBMITTED),
    ("start_triage", Status.IN_TRIAGE),
    ("return_for_revision", Status.DRAFT),
]


@dataclass
class Cast:
    """The users the pages are measured as, and what the seeding needs again at each scale."""

    superuser: object = None
    hcss: list = field(default_factory=list)
    task_team: list = field(default_factory=list)
    gcc: list = field(default_factory=list)
    rc_hc: dict = field(default_factory=dict)  # country id -> user
    owners: list = field(default_factory=list)
    owner: object = None  # the owner of the points of the leader's missions
    leader: object = None  # leads the first ten missions in follow-up
    coordinator: object = None
    planned: object = None  # the planning mission with 30 participants
    open_round: object = None
    countries: list = field(default_factory=list)  # ids
    country_groups: dict = field(default_factory=dict)  # country id -> [(group id, codename)]
    permissions: dict = field(default_factory=dict)  # codename -> Permission
    led: list = field(default_factory=list)  # mission ids the leader leads
    seeded: int = 0  # missions seeded by seed_missions so far


def _path_to(status: str, index: int) -> list[tuple[str, str]]:
    """A plausible history ending in `status`, padded with revision round trips at the start
    so that the histories average about 8.5 rows (85,000 for 10,000 missions)."""
    targets = [target for _, target in MAIN_PATH]
    if status in targets:
        path = MAIN_PATH[: targets.index(status) + 1]
    elif status == Status.DECLINED:
        path = [*MAIN_PATH[:3], ("decline", Status.DECLINED)]
    elif status == Status.DEFERRED:
        path = [*MAIN_PATH[:3], ("defer", Status.DEFERRED)]
    elif status == Status.CANCELLED:
        path = [*MAIN_PATH[: 1 + index % 8], ("cancel", Status.CANCELLED)]
    else:  # a draft
        path = []
    # As many whole round trips as fit under 9 or 10 rows, alternately: about 8.7 rows on
    # average over the mix of seed_missions (longer paths, follow-up and closed, keep theirs).
    wanted = 9 + index % 2
    cycles = max(0, (wanted - len(path)) // len(REVISION_CYCLE))
    return REVISION_CYCLE * cycles + path


def _users(prefix: str, count: int, password: str, **extra) -> list:
    User = get_user_model()
    users = [
        User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.org", password=password, **extra)
        for n in range(count)
    ]
    return User.objects.bulk_create(users, batch_size=BATCH)


def seed_base() -> Cast:
    """Users and their roles (1,000 in all), the country groups, the planning mission and
    the commitment rounds: what every scale shares."""
    from tests.factories import make_member, make_mission, make_ready_to_confirm

    cast = Cast()
    password = make_password("bench")  # hashed once: 1,000 hashes would be the slowest part
    User = get_user_model()
    cast.superuser = User.objects.create_superuser("bench-root", "root@example.org", "bench")
    countries = list(Country.objects.order_by("code"))
    cast.countries = [c.pk for c in countries]

    # The country roles' groups (role_group makes each on first use) and their rows' codenames.
    from missions.services.permissions import COUNTRY_ROLE_PERMS

    for country in countries:
        cast.country_groups[country.pk] = [
            (role_group(role, country=country.pk).pk, codename)
            for role, codenames in COUNTRY_ROLE_PERMS.items()
            for codename in codenames
        ]
    cast.permissions = {
        p.codename: p for p in Permission.objects.filter(content_type__app_label="missions")
    }

    # 1,000 users: the global roles, an RC/HC office and two HCT members per country (as far
    # as they go), cluster focal points, coordinators, action point owners. role_grant is
    # fast enough for 1,000 (a few queries each) and writes groups and the role log right.
    global_clusters = list(GlobalCluster.objects.order_by("code"))
    cast.hcss = _users("bench-hcss-", 5, password)
    cast.task_team = _users("bench-tt-", 10, password)
    cast.gcc = _users("bench-gcc-", 10, password)
    rc_hc = _users("bench-rchc-", len(countries), password)
    hct = _users("bench-hct-", min(2 * len(countries), 300), password)
    focal = _users("bench-focal-", 50, password)
    coordinators = _users("bench-coord-", COMMITMENT_CLUSTERS, password)
    cast.owners = _users("bench-owner-", 50, password)
    granted = 5 + 10 + 10 + len(rc_hc) + len(hct) + 50 + COMMITMENT_CLUSTERS + 50
    plain = _users("bench-user-", max(0, USERS - granted - 2), password)
    cast.owner, cast.leader = _users("bench-me-", 2, password)
    for user in cast.hcss:
        role_grant(user, Role.HCSS)
    for user in cast.task_team:
        role_grant(user, Role.TASK_TEAM)
    for user in cast.gcc:
        role_grant(user, Role.GCC)
    for user, country in zip(rc_hc, countries, strict=True):
        role_grant(user, Role.RC_HC, country=country)
        cast.rc_hc[country.pk] = user
    for user, country in zip(hct, itertools.cycle(countries), strict=False):
        role_grant(user, Role.HCT_MEMBER, country=country)
    for user, cluster in zip(focal, itertools.cycle(global_clusters), strict=False):
        role_grant(user, Role.CLUSTER_FOCAL_POINT, global_cluster=cluster)
    del plain  # users with no role: they only make the user table its size

    # The planning mission: through the factories, as a planning page needs a real team (a
    # final ToR, an elected leader, logistics): 2 members from make_ready_to_confirm + 28.
    cast.planned = make_mission("PAK", status=Status.IN_PLANNING)
    make_ready_to_confirm(cast.planned)
    for index in range(28):
        make_member(cast.planned, f"bench-member-{index}")

    _seed_commitments(cast, countries, global_clusters, coordinators)
    return cast


def _seed_commitments(cast: Cast, countries, global_clusters, coordinators) -> None:
    """20 country clusters with 6 partners each, 3 rounds each (two closed, one open: 60),
    a self-assessment per partner and round, the submitted ones answered."""
    from commitments.models import (
        Answer,
        AssessmentStatus,
        FrameworkItem,
        ItemKind,
        Rating,
        Round,
        RoundStatus,
        SelfAssessment,
    )
    from commitments.selectors.framework import current_version

    framework = current_version()
    items = list(
        FrameworkItem.objects.filter(
            version=framework, kind__in=(ItemKind.COMMITMENT, ItemKind.PRINCIPLE)
        )
    )
    clusters = CountryCluster.objects.bulk_create(
        CountryCluster(country=country, global_cluster=cluster)
        for country, cluster in zip(
            countries[:COMMITMENT_CLUSTERS], itertools.cycle(global_clusters), strict=False
        )
    )
    orgs = Organisation.objects.bulk_create(
        Organisation(name=f"Bench partner {c}-{n}", kind="ngo")
        for c in range(len(clusters))
        for n in range(PARTNERS_PER_CLUSTER)
    )
    Through = CountryCluster.partners.through
    Through.objects.bulk_create(
        Through(countrycluster_id=cluster.pk, organisation_id=org.pk)
        for index, cluster in enumerate(clusters)
        for org in orgs[index * PARTNERS_PER_CLUSTER : (index + 1) * PARTNERS_PER_CLUSTER]
    )
    for user, cluster in zip(coordinators, clusters, strict=True):
        role_grant(user, Role.CLUSTER_COORDINATOR, country_cluster=cluster)
    cast.coordinator = coordinators[0]
    today = timezone.localdate()
    now = timezone.now()
    rounds = []
    for cluster, coordinator in zip(clusters, coordinators, strict=True):
        for number in range(ROUNDS_PER_CLUSTER):
            end = today - datetime.timedelta(days=180 * (ROUNDS_PER_CLUSTER - 1 - number))
            is_open = number == ROUNDS_PER_CLUSTER - 1
            rounds.append(
                Round(
                    country_cluster=cluster,
                    framework=framework,
                    period_start=end - datetime.timedelta(days=180),
                    period_end=end,
                    closes_on=end + datetime.timedelta(days=14),
                    status=RoundStatus.OPEN if is_open else RoundStatus.CLOSED,
                    opened_by=coordinator,
                    closed_at=None if is_open else now,
                )
            )
    rounds = Round.objects.bulk_create(rounds)
    cast.open_round = rounds[ROUNDS_PER_CLUSTER - 1]  # the first cluster's open round
    assessments = []
    for index, round_ in enumerate(rounds):
        cluster_orgs = orgs[
            (index // ROUNDS_PER_CLUSTER) * PARTNERS_PER_CLUSTER : (index // ROUNDS_PER_CLUSTER + 1)
            * PARTNERS_PER_CLUSTER
        ]
        for number, org in enumerate(cluster_orgs):
            submitted = number % 3 != 2  # two in three have answered
            assessments.append(
                SelfAssessment(
                    round=round_,
                    organisation=org,
                    status=AssessmentStatus.SUBMITTED if submitted else AssessmentStatus.DRAFT,
                    submitted_at=now if submitted else None,
                )
            )
    assessments = SelfAssessment.objects.bulk_create(assessments, batch_size=BATCH)
    ratings = [Rating.MET, Rating.PARTLY, Rating.NOT_MET]
    Answer.objects.bulk_create(
        (
            Answer(assessment=a, item=item, rating=ratings[(a.pk + item.pk) % 3])
            for a in assessments
            if a.status == AssessmentStatus.SUBMITTED
            for item in items
        ),
        batch_size=BATCH,
    )


def _status_of(index: int, total_shares: tuple[int, int, int]) -> str:
    board, planning, follow_up = total_shares
    if index < board:
        return Status.WITH_TASK_TEAM if index % 3 else Status.DEFERRED
    if index < board + planning:
        return Status.IN_PLANNING
    if index < board + planning + follow_up:
        return Status.FOLLOW_UP
    # The rest in every other state (the bands above are the board, planning, follow-up).
    return REST_STATES[index % len(REST_STATES)]


def seed_missions(cast: Cast, total: int) -> None:
    """Top the missions up to `total` (the planning mission of seed_base counts as one), in
    the mix of the module's docstring, with their logs, permission rows, scores and action
    points."""
    from missions.models import (
        ActionPoint,
        Mission,
        MissionGroupObjectPermission,
        MissionUserObjectPermission,
        ProgressUpdate,
        Score,
        ScoringCriterion,
        TransitionLog,
    )
    from tests.factories import complete_request

    start, stop = cast.seeded, max(cast.seeded, total - 1)
    if stop <= start:
        return
    # The mix is a share of `total`: what the earlier scales seeded counts towards it.
    shares = (
        round(total * BOARD_SHARE),
        round(total * PLANNING_SHARE),
        round(total * FOLLOW_UP_SHARE),
    )
    # Each top-up fills what its scale's shares still lack, so that every scale has the mix.
    new = stop - start
    new_shares = tuple(
        max(0, share - round(cast.seeded * ratio))
        for share, ratio in zip(shares, (BOARD_SHARE, PLANNING_SHARE, FOLLOW_UP_SHARE), strict=True)
    )
    now = timezone.now()
    fields = complete_request()
    countries = cast.countries
    missions = []
    for offset in range(new):
        index = start + offset
        status = _status_of(offset, new_shares)
        missions.append(
            Mission(
                title=f"Bench mission {index}",
                country_id=countries[index % len(countries)],
                mission_type=Mission.Type.SPECIFIC_ISSUES,
                status=status,
                submitted_at=None if status == Status.DRAFT else now,
                **{**fields, "priority_rank": index + 1},
            )
        )
    missions = Mission.objects.bulk_create(missions, batch_size=BATCH)

    # Histories: the timestamps go forward one hour a step, ending before now.
    hcss = cast.hcss[0]
    logs = []
    for offset, mission in enumerate(missions):
        path = _path_to(mission.status, start + offset)
        source = Status.DRAFT
        for step, (transition, target) in enumerate(path):
            logs.append(
                TransitionLog(
                    mission=mission,
                    transition=transition,
                    source=source,
                    target=target,
                    user=hcss,
                    at=now - datetime.timedelta(hours=len(path) - step),
                )
            )
            source = target
    TransitionLog.objects.bulk_create(logs, batch_size=BATCH)

    # The country groups' object permissions, as mission_sync_permissions writes them; the
    # global roles hold theirs by rule (no rows).
    perms = cast.permissions
    MissionGroupObjectPermission.objects.bulk_create(
        (
            MissionGroupObjectPermission(
                group_id=group_id, permission=perms[codename], content_object=mission
            )
            for mission in missions
            for group_id, codename in cast.country_groups[mission.country_id]
        ),
        batch_size=BATCH,
    )

    # The board's scores: the Task Team members score each request on each criterion, about
    # 8,000 rows for 300 requests.
    criteria = list(ScoringCriterion.objects.filter(active=True))
    board = [m for m in missions if m.status in (Status.WITH_TASK_TEAM, Status.DEFERRED)]
    scores = []
    for number, mission in enumerate(board):
        per_request = SCORES_PER_BOARD_REQUEST / max(1, len(criteria))
        members = int((number + 1) * per_request) - int(number * per_request)
        members = min(len(cast.task_team), max(1, members))
        for member in cast.task_team[:members]:
            for criterion in criteria:
                scores.append(
                    Score(
                        mission=mission,
                        member=member,
                        criterion=criterion,
                        value=1 + (mission.pk + criterion.pk) % 5,
                    )
                )
    Score.objects.bulk_create(scores, batch_size=BATCH)

    # Action points: 50 a mission in follow-up. The leader leads the first ten such missions
    # (the tracker's page) and `cast.owner` owns their points (my action points' page); the
    # others are spread over 50 owners. One in ten falls in a reminder window today.
    today = timezone.localdate()
    follow_ups = [m for m in missions if m.status == Status.FOLLOW_UP]
    if not cast.led:
        cast.led = [m.pk for m in follow_ups[:10]]
        MissionUserObjectPermission.objects.bulk_create(
            MissionUserObjectPermission(
                user=cast.leader, permission=perms[codename], content_object_id=pk
            )
            for pk in cast.led
            for codename in ("view_mission", "lead_mission")
        )
    led = set(cast.led)
    # As the pages meet them: every kind of addressee (a country cluster of the mission's own
    # country), one or two clusters a point, a recommendation of a few lines, and progress
    # posted on one point in ten, in progress.
    Addressee = ActionPoint.Addressee
    kinds = (
        Addressee.ROLE,
        Addressee.ORGANISATION,
        Addressee.GLOBAL_CLUSTER,
        Addressee.ROLE,
        Addressee.COUNTRY_CLUSTER,
    )
    organisations = list(Organisation.objects.order_by("pk")[:40])
    global_clusters = list(GlobalCluster.objects.order_by("pk"))
    country_clusters = {}
    for cluster in CountryCluster.objects.order_by("pk"):
        country_clusters.setdefault(cluster.country_id, []).append(cluster)
    points = []
    for mission in follow_ups:
        own_clusters = country_clusters.get(mission.country_id, [])
        for number in range(1, POINTS_PER_FOLLOW_UP + 1):
            index = mission.pk * POINTS_PER_FOLLOW_UP + number
            days = (index % 40) - 20 if index % 10 == 0 else 60 + index % 300
            owner = cast.owner if mission.pk in led else cast.owners[index % len(cast.owners)]
            # By tens: the points due first (one in ten, below) have every kind too.
            kind = kinds[index // 10 % len(kinds)]
            if kind == Addressee.COUNTRY_CLUSTER and not own_clusters:
                kind = Addressee.GLOBAL_CLUSTER
            progressing = number % 10 == 5
            points.append(
                ActionPoint(
                    mission=mission,
                    number=number,
                    reference=f"B{mission.pk}-{number:02d}",
                    text=f"Bench point {index}: {POINT_TEXT}",
                    addressee_kind=kind,
                    addressee_role="The HCT" if kind == Addressee.ROLE else "",
                    organisation=organisations[index % len(organisations)]
                    if kind == Addressee.ORGANISATION
                    else None,
                    global_cluster=global_clusters[index % len(global_clusters)]
                    if kind == Addressee.GLOBAL_CLUSTER
                    else None,
                    country_cluster=own_clusters[index % len(own_clusters)]
                    if kind == Addressee.COUNTRY_CLUSTER
                    else None,
                    owner=owner,
                    due_on=today + datetime.timedelta(days=days),
                    indicator="An indicator",
                    verification="A means",
                    status="in_progress" if progressing or not number % 4 else "open",
                )
            )
    points = ActionPoint.objects.bulk_create(points, batch_size=BATCH)
    through = ActionPoint.clusters.through
    through.objects.bulk_create(
        (
            through(actionpoint_id=point.pk, globalcluster_id=cluster.pk)
            for point in points
            for cluster in global_clusters[point.pk % 4 : point.pk % 4 + 1 + point.pk % 2]
        ),
        batch_size=BATCH,
    )
    ProgressUpdate.objects.bulk_create(
        (
            ProgressUpdate(point=point, author=point.owner, text="Half the partners trained.")
            for point in points
            if point.number % 10 == 5
        ),
        batch_size=BATCH,
    )
    cast.seeded = stop
    analyze()


def analyze() -> None:
    """Fresh statistics and visibility maps after a bulk load, as autovacuum makes them soon
    after one on a server: without them PostgreSQL plans for the tables' old sizes (a scan of
    100,000 points planned as 20,000) and cannot count from an index alone."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def add_global_users(count: int) -> None:
    """`count` more users of the global roles (for the permission-rows check)."""
    password = make_password("bench")
    roles = [Role.HCSS, Role.TASK_TEAM, Role.GCC]
    for user, role in zip(
        _users("bench-more-", count, password), itertools.cycle(roles), strict=False
    ):
        role_grant(user, role)


def group_count() -> int:
    return Group.objects.count()
