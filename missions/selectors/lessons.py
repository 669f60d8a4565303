"""Lessons and good practice: who reads which, searching them, and the ones shown while
planning the next mission. Every lesson that reaches a page comes through
`lessons_visible_to`."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.http import Http404

from clusters.models import Country, GlobalCluster, Role
from clusters.selectors import ROLES, user_roles
from missions.models import Lesson, Mission
from missions.selectors.missions import PERMISSIONS, has_served, missions_visible_to

SEARCH_WORDS_MAX = 8
# The roles who organise and run missions, and so learn from all of them.
ALL_LESSONS_ROLES = {
    Role.HCSS,
    Role.TASK_TEAM,
    Role.GCC,
    Role.CLUSTER_FOCAL_POINT,
    Role.CCI_FOCAL_POINT,
}


def _sees_all_lessons(user) -> bool:
    """(Remembered on the user object until a role or a permission changes, as their roles
    and permissions are: a page asks more than once.)"""
    now = (ROLES.current, PERMISSIONS.current)
    remembered = getattr(user, "_icsm_sees_all_lessons", None)
    if remembered is None or remembered[0] != now:
        sees = bool(
            user.is_superuser
            or user_roles(user) & ALL_LESSONS_ROLES
            # Anyone who has served on or led a mission learns from every other one.
            or has_served(user)
        )
        remembered = user._icsm_sees_all_lessons = (now, sees)
    return remembered[1]


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
    the same type, then the rest; newest first within each group. Each group is its own
    query that stops at `limit` on the (country, created_at) and created_at indexes, rather
    than ranking every lesson there is.
    """
    visible = lessons_visible_to(user).exclude(mission_id=mission.pk).order_by("-created_at", "-pk")
    elsewhere = visible.exclude(country_id=mission.country_id)
    groups = (
        visible.filter(country_id=mission.country_id),
        elsewhere.filter(mission__mission_type=mission.mission_type),
        elsewhere.exclude(mission__mission_type=mission.mission_type),
    )
    chosen: list[Lesson] = []
    for group in groups:
        if len(chosen) >= limit:
            break
        chosen += _for_display(group)[: limit - len(chosen)]
    return lessons_mark_missions(user, chosen)
