"""Lessons and good practice: recorded on a mission by the people who ran it, searched by
anyone who organises missions, and shown while planning the next one.

Writes (`lesson_add`, `lessons_load_demo`) and reads (`lessons_visible_to`, `lesson_search`,
`lessons_for_planning`) live together here: the feature is small, and its one scope rule
(`lessons_visible_to`) is easier to trust when it sits next to everything that uses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from clusters.models import Country, GlobalCluster, Role
from clusters.selectors import user_roles
from missions.models import Lesson, Mission, MissionUserObjectPermission, Status
from missions.selectors import missions_visible_to

TITLE_MAX_LENGTH = Lesson._meta.get_field("title").max_length
TAGS_MAX_LENGTH = Lesson._meta.get_field("tags").max_length
TAG_MAX_LENGTH = 40
TEXT_MAX_LENGTH = 5000
SEARCH_WORDS_MAX = 8

# Lessons come from missions that really happened (or were really decided on): a request
# still being written or checked has taught nobody anything yet.
NOT_YET_STATES = (Status.DRAFT, Status.SUBMITTED, Status.IN_TRIAGE)
# The roles who organise and run missions, and so learn from all of them.
ALL_LESSONS_ROLES = {
    Role.HCSS,
    Role.TASK_TEAM,
    Role.GCC,
    Role.CLUSTER_FOCAL_POINT,
    Role.CCI_FOCAL_POINT,
}
TEAM_CODENAMES = ("serve_on_mission", "lead_mission")
WRITER_CODENAMES = ("plan_mission", "lead_mission", "serve_on_mission")

MESSAGES = {
    "title_required": "Give the lesson a short title.",
    "title_too_long": f"Keep the title under {TITLE_MAX_LENGTH} characters.",
    "text_required": "Write the lesson: what happened, and what to do next time.",
    "text_too_long": f"Keep the lesson under {TEXT_MAX_LENGTH} characters.",
    "kind": "Choose whether this is a lesson learnt or a good practice.",
    "clusters": "Choose clusters from the list.",
}


# Writes ---------------------------------------------------------------------------------------


def tags_normalise(raw: str | Iterable[str]) -> str:
    """Tags as stored: trimmed, lower-case, single spaces, no repeats, joined by ", ".

    Raises ValidationError (for the `tags` field) when a tag or the whole is too long.
    """
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    tags: list[str] = []
    for part in parts:
        tag = " ".join(str(part).split()).lower()
        if tag and tag not in tags:
            tags.append(tag)
    too_long = [tag for tag in tags if len(tag) > TAG_MAX_LENGTH]
    if too_long:
        raise ValidationError(
            f"Keep each tag to {TAG_MAX_LENGTH} characters or fewer; shorten “{too_long[0][:60]}”. "
            "Separate tags with commas."
        )
    joined = ", ".join(tags)
    if len(joined) > TAGS_MAX_LENGTH:
        raise ValidationError(
            f"Use fewer or shorter tags: together they must fit in {TAGS_MAX_LENGTH} "
            f"characters (these take {len(joined)})."
        )
    return joined


def lessons_open(mission: Mission) -> bool:
    """Whether lessons may be recorded on `mission` in its current state."""
    return mission.status not in NOT_YET_STATES


def lesson_may_add(mission: Mission, user) -> bool:
    """Whether `user` may record lessons on `mission`: its GCC, leader or team members."""
    return user.is_active and any(
        user.has_perm(f"missions.{codename}", mission) for codename in WRITER_CODENAMES
    )


def _clean(kind: str, title: str, text: str, tags: str | Iterable[str], clusters) -> dict:
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    text = (text or "").strip()
    if kind not in Lesson.Kind.values:
        errors["kind"] = [MESSAGES["kind"]]
    if not title:
        errors["title"] = [MESSAGES["title_required"]]
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = [MESSAGES["title_too_long"]]
    if not text:
        errors["text"] = [MESSAGES["text_required"]]
    elif len(text) > TEXT_MAX_LENGTH:
        errors["text"] = [MESSAGES["text_too_long"]]
    try:
        tags = tags_normalise(tags or "")
    except ValidationError as error:
        errors["tags"] = error.messages
    cluster_pks = {c.pk if isinstance(c, GlobalCluster) else c for c in clusters or ()}
    found = list(GlobalCluster.objects.filter(pk__in=cluster_pks)) if cluster_pks else []
    if len(found) != len(cluster_pks):
        errors["clusters"] = [MESSAGES["clusters"]]
    if errors:
        raise ValidationError(errors)
    return {"kind": kind, "title": title, "text": text, "tags": tags, "clusters": found}


def lesson_add(
    mission: Mission | int,
    user,
    *,
    kind: str,
    title: str,
    text: str,
    tags: str | Iterable[str] = "",
    clusters: Iterable[GlobalCluster | int] = (),
    country: Country | None = None,
) -> Lesson:
    """Record a lesson or good practice on `mission`, written by `user`.

    Its GCC, leader and team members may, once the mission is past triage. The country is
    the mission's unless given. Raises PermissionDenied (out of scope or not theirs: shown as
    404) or ValidationError (keyed by field; nothing is saved).
    """
    pk = mission.pk if isinstance(mission, Mission) else mission
    with transaction.atomic():
        current = missions_visible_to(user).filter(pk=pk).first()
        if current is None or not lesson_may_add(current, user):
            raise PermissionDenied("No such mission.")
        if not lessons_open(current):
            raise ValidationError(
                "Lessons can be recorded only on missions that have been through triage "
                f"(this request is still “{current.get_status_display()}”)."
            )
        cleaned = _clean(kind, title, text, tags, clusters)
        found = cleaned.pop("clusters")
        lesson = Lesson.objects.create(
            mission=current,
            country=country or current.country,
            author=user,
            **cleaned,
        )
        lesson.clusters.set(found)
    return lesson


# Reads ----------------------------------------------------------------------------------------


def _sees_all_lessons(user) -> bool:
    """(Cached on the user for the request, as user_roles is: a page asks more than once.)"""
    if not hasattr(user, "_icsm_sees_all_lessons"):
        user._icsm_sees_all_lessons = bool(
            user.is_superuser
            or user_roles(user) & ALL_LESSONS_ROLES
            # Anyone who has served on or led a mission learns from every other one.
            or MissionUserObjectPermission.objects.filter(
                user=user, permission__codename__in=TEAM_CODENAMES
            ).exists()
        )
    return user._icsm_sees_all_lessons


def lessons_visible_to(user) -> QuerySet[Lesson]:
    """The lessons `user` may read. Every lesson that reaches a page comes through here.

    Lessons are shared learning for those who organise and run missions: the global roles,
    focal points, and anyone on a mission's team see them all. Everyone else (country roles,
    users without a role) sees the lessons of the missions they can see.
    """
    if not user.is_authenticated or not user.is_active:
        return Lesson.objects.none()
    if _sees_all_lessons(user):
        return Lesson.objects.all()
    return Lesson.objects.filter(mission__in=missions_visible_to(user).values("pk"))


def _for_display(lessons: QuerySet[Lesson]) -> QuerySet[Lesson]:
    return lessons.select_related("country", "mission", "author").prefetch_related("clusters")


def lessons_mark_missions(user, lessons: Iterable[Lesson]) -> list[Lesson]:
    """Set `mission_visible` on each lesson: whether `user` may open its mission's page.

    Someone who reads every lesson may still not see every mission; one query for them all.
    """
    lessons = list(lessons)
    ids = {lesson.mission_id for lesson in lessons}
    visible = (
        set(missions_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
        if ids
        else set()
    )
    for lesson in lessons:
        lesson.mission_visible = lesson.mission_id in visible
    return lessons


def get_lesson_for(user, pk) -> Lesson:
    """The lesson `pk` if `user` may read it; otherwise 404, whether or not it exists."""
    try:
        lesson = _for_display(lessons_visible_to(user)).get(pk=pk)
    except (Lesson.DoesNotExist, ValueError, TypeError):
        raise Http404("No such lesson.") from None
    lessons_mark_missions(user, [lesson])
    return lesson


def _tag_pattern(tag: str) -> str:
    # Whole tags only ("hct" must not find "hct linkages"), however the commas were spaced.
    return r"(^|,)\s*" + re.escape(tag) + r"\s*(,|$)"


def lesson_search(
    user,
    *,
    q: str = "",
    kind: str = "",
    country: Country | None = None,
    cluster: GlobalCluster | None = None,
    tag: str = "",
) -> QuerySet[Lesson]:
    """The lessons `user` may read that match every filter given, newest first.

    `q` finds lessons whose title, text or tags contain each of its words.
    """
    lessons = lessons_visible_to(user)
    for word in (q or "").split()[:SEARCH_WORDS_MAX]:
        lessons = lessons.filter(
            Q(title__icontains=word) | Q(text__icontains=word) | Q(tags__icontains=word)
        )
    if kind:
        lessons = lessons.filter(kind=kind)
    if country is not None:
        lessons = lessons.filter(country=country)
    if cluster is not None:
        lessons = lessons.filter(clusters=cluster)
    tag = " ".join((tag or "").split()).lower()
    if tag:
        lessons = lessons.filter(tags__iregex=_tag_pattern(tag))
    return _for_display(lessons).order_by("-created_at", "-pk")


def lesson_countries(user) -> QuerySet[Country]:
    """The countries of the lessons `user` may read: the choices of the search's filter."""
    return Country.objects.filter(pk__in=lessons_visible_to(user).values("country"))


def lessons_for_planning(mission: Mission, user, limit: int = 8) -> list[Lesson]:
    """What earlier missions learnt, for the team planning `mission`.

    Lessons of other missions that `user` may read: the same country first, then missions of
    the same type, then the rest; newest first within each group.
    """
    lessons = (
        lessons_visible_to(user)
        .exclude(mission_id=mission.pk)
        .annotate(
            closeness=Case(
                When(country_id=mission.country_id, then=Value(0)),
                When(mission__mission_type=mission.mission_type, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("closeness", "-created_at", "-pk")
    )
    return lessons_mark_missions(user, _for_display(lessons)[:limit])


# Demo data ------------------------------------------------------------------------------------

# Keyed by the titles of missions.demo.HISTORICAL.
DEMO_LESSONS: list[dict] = [
    {
        "mission": "Sudan 2009: inter-cluster support mission",
        "kind": Lesson.Kind.LESSON,
        "title": "Agree the action points before the team leaves",
        "text": "Recommendations drafted after the team had flown home took weeks to be "
        "agreed and lost their owners on the way. Keep the last two days in the country "
        "for a session with the RC/HC and the HCT that agrees each action point, who owns "
        "it and by when.",
        "tags": "action points, hct, follow-up",
        "clusters": [],
    },
    {
        "mission": "Sudan 2009: inter-cluster support mission",
        "kind": Lesson.Kind.GOOD_PRACTICE,
        "title": "Pair each team member with a national counterpart",
        "text": "Each participant worked alongside a counterpart from the country-level "
        "cluster they supported. Meetings opened doors faster, and the counterparts carried "
        "the cluster improvement plans forward after the mission ended.",
        "tags": "national counterparts, cluster leadership, handover",
        "clusters": ["health", "wash", "protection"],
    },
    {
        "mission": "Pakistan 2009: diagnostic mission",
        "kind": Lesson.Kind.LESSON,
        "title": "Ask for briefing papers on the cross-cutting issues early",
        "text": "Gender, age and environment had no one on the team, and the briefing papers "
        "arrived after departure, so they barely reached the findings. Ask the focal points "
        "for their papers when the ToR is final and read them together before leaving.",
        "tags": "cross-cutting issues, briefing papers, gender, preparation",
        "clusters": [],
    },
    {
        "mission": "Pakistan 2009: diagnostic mission",
        "kind": Lesson.Kind.GOOD_PRACTICE,
        "title": "One improvement plan per cluster, written with the cluster",
        "text": "Drafting each cluster improvement plan with the cluster coordinator and two "
        "or three partners, rather than for them, made the plans realistic. Clusters "
        "reported progress against them at the next HCT meetings without being asked.",
        "tags": "cluster improvement plans, ownership",
        "clusters": ["health", "nutrition", "food-security", "education"],
    },
    {
        "mission": "Pakistan 2010: follow-up mission",
        "kind": Lesson.Kind.GOOD_PRACTICE,
        "title": "A small team is enough for a follow-up",
        "text": "Three people with a view of the whole coordination structure covered the "
        "follow-up better than a large team of cluster specialists would have. The HCT had "
        "time to meet every member, and logistics and visas took a week instead of a month.",
        "tags": "team size, follow-up, logistics",
        "clusters": [],
    },
    {
        "mission": "Pakistan 2010: follow-up mission",
        "kind": Lesson.Kind.LESSON,
        "title": "Map HCT–cluster reporting lines before arriving",
        "text": "The team spent its first days finding out which clusters reported to the "
        "HCT and how. A one-page map of the coordination structure, asked of the OCHA office "
        "beforehand, would have freed those days for the real discussions.",
        "tags": "hct, cluster linkages, preparation",
        "clusters": [],
    },
    {
        "mission": "Colombia June 2010: inter-cluster support mission",
        "kind": Lesson.Kind.LESSON,
        "title": "Hold the meetings in the national language",
        "text": "Partners and government officials spoke far more freely once meetings moved "
        "from English to Spanish. Put at least two Spanish speakers on the team and have "
        "the key documents translated before the mission starts.",
        "tags": "language, national authorities, team composition",
        "clusters": ["protection", "early-recovery"],
    },
    {
        "mission": "Nepal July 2010: inter-cluster support mission",
        "kind": Lesson.Kind.GOOD_PRACTICE,
        "title": "Link the preparedness plan to the government's own",
        "text": "Framing the recommendations on preparedness around the government's "
        "contingency plan, rather than a parallel cluster plan, got the ministries to the "
        "table. The clusters' roles were then written into the plan the government already "
        "used.",
        "tags": "preparedness, national authorities, cluster linkages",
        "clusters": ["shelter", "wash", "logistics"],
    },
]


@transaction.atomic
def lessons_load_demo(author=None) -> int:
    """Create the demo lessons that are missing (matched by mission and title); returns how
    many were created. Missions of DEMO_LESSONS that do not exist are skipped."""
    missions = {
        m.title: m
        for m in Mission.objects.filter(title__in={spec["mission"] for spec in DEMO_LESSONS})
    }
    clusters = {c.code: c for c in GlobalCluster.objects.all()}
    created = 0
    for spec in DEMO_LESSONS:
        mission = missions.get(spec["mission"])
        if mission is None or Lesson.objects.filter(mission=mission, title=spec["title"]).exists():
            continue
        lesson = Lesson.objects.create(
            mission=mission,
            kind=spec["kind"],
            title=spec["title"],
            text=spec["text"],
            tags=tags_normalise(spec["tags"]),
            country_id=mission.country_id,
            author=author,
        )
        lesson.clusters.set([clusters[code] for code in spec["clusters"]])
        created += 1
    return created
