"""Lessons and good practice: recorded on a mission by the people who ran it."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from clusters.models import Country, GlobalCluster
from missions.models import Lesson, Mission
from missions.selectors.missions import missions_visible_to
from missions.workflow import REQUEST_STATES, MissionNotFound, holds

TITLE_MAX_LENGTH = Lesson._meta.get_field("title").max_length
TAGS_MAX_LENGTH = Lesson._meta.get_field("tags").max_length
TAG_MAX_LENGTH = 40
TEXT_MAX_LENGTH = 5000

WRITER_CODENAMES = ("plan_mission", "lead_mission", "serve_on_mission")
NOT_A_WRITER = gettext_lazy(
    "You may not record lessons on this mission: its GCC, leader and team members do."
)


def _lazy_format(message: str, values: dict):
    """`message` (marked with gettext_noop) translated and filled in only when it is shown,
    in the language of that moment."""
    return lazy(lambda: gettext(message) % values, str)()


# The form's field messages and the service's refusals say the same (translated when shown).
MESSAGES = {
    "title_required": gettext_lazy("Give the lesson a short title."),
    "title_too_long": _lazy_format(
        gettext_noop("Keep the title under %(limit)d characters."), {"limit": TITLE_MAX_LENGTH}
    ),
    "text_required": gettext_lazy("Write the lesson: what happened, and what to do next time."),
    "text_too_long": _lazy_format(
        gettext_noop("Keep the lesson under %(limit)d characters."), {"limit": TEXT_MAX_LENGTH}
    ),
    "kind": gettext_lazy("Choose whether this is a lesson learnt or a good practice."),
    "clusters": gettext_lazy("Choose clusters from the list."),
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
            gettext(
                "Keep each tag to %(limit)d characters or fewer; shorten “%(tag)s”. "
                "Separate tags with commas."
            )
            % {"limit": TAG_MAX_LENGTH, "tag": too_long[0][:60]}
        )
    joined = ", ".join(tags)
    if len(joined) > TAGS_MAX_LENGTH:
        raise ValidationError(
            gettext(
                "Use fewer or shorter tags: together they must fit in %(limit)d "
                "characters (these take %(length)d)."
            )
            % {"limit": TAGS_MAX_LENGTH, "length": len(joined)}
        )
    return joined


def lessons_open(mission: Mission) -> bool:
    """Whether lessons may be recorded on `mission` in its current state."""
    return mission.status not in REQUEST_STATES


def lesson_may_add(mission: Mission, user) -> bool:
    """Whether `user` may record lessons on `mission`: its GCC, leader or team members."""
    return user.is_active and any(holds(user, codename, mission) for codename in WRITER_CODENAMES)


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
    the mission's unless given. Raises MissionNotFound (out of scope: a 404), PermissionDenied
    (the user sees the mission but it is not theirs) or ValidationError (keyed by field;
    nothing is saved).
    """
    pk = mission.pk if isinstance(mission, Mission) else mission
    with transaction.atomic():
        current = missions_visible_to(user).filter(pk=pk).first()
        if current is None:
            raise MissionNotFound(gettext("No such mission."))
        if not lesson_may_add(current, user):
            raise PermissionDenied(NOT_A_WRITER)
        if not lessons_open(current):
            raise ValidationError(
                gettext(
                    "Lessons can be recorded only on missions that have been through triage "
                    "(this request is still “%(status)s”)."
                )
                % {"status": current.get_status_display()}
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
