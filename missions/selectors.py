"""Reads that need care. Every mission that reaches a page, admin list, export or API
comes through `missions_visible_to`: scope lives here and nowhere else."""

from django.db.models import QuerySet
from django.http import Http404
from guardian.shortcuts import get_objects_for_user

from missions.models import TRANSITION_NAMES, Missing, Mission


def missions_visible_to(user) -> QuerySet[Mission]:
    """The missions `user` may see: those their roles' scopes cover (all, for a superuser)."""
    if not user.is_authenticated or not user.is_active:
        return Mission.objects.none()
    # Object permissions only: a model-wide permission (e.g. the admin's) widens nothing.
    return get_objects_for_user(
        user, "missions.view_mission", klass=Mission, accept_global_perms=False
    )


def get_mission_for(user, pk, queryset: QuerySet[Mission] | None = None) -> Mission:
    """The mission `pk` if `user` may see it; otherwise 404, whether or not it exists."""
    queryset = missions_visible_to(user) if queryset is None else queryset
    try:
        return queryset.select_related("country", "requested_by", "parent").get(pk=pk)
    except (Mission.DoesNotExist, ValueError, TypeError):
        raise Http404("No such mission.") from None


def transition_meta(mission: Mission, name: str):
    """django-fsm's description of transition `name` from the mission's current state."""
    if name not in TRANSITION_NAMES:
        return None
    return getattr(Mission, name)._django_fsm.get_transition(mission.status)


def transition_missing(mission: Mission, name: str) -> list[Missing]:
    """What the guards of `name` find missing on `mission` now (empty when all hold)."""
    meta = transition_meta(mission, name)
    if meta is None:
        return []
    return [item for guard in meta.conditions for item in guard.missing(mission)]


def transitions_for(mission: Mission, user) -> list[dict]:
    """The transitions `user` may take from the mission's state, with what each still lacks."""
    options = []
    for name in TRANSITION_NAMES:
        meta = transition_meta(mission, name)
        if meta is None or not meta.has_perm(mission, user):
            continue
        options.append(
            {
                "name": name,
                "label": meta.custom.get("label", name),
                "inputs": meta.custom.get("inputs", ()),
                "missing": transition_missing(mission, name),
            }
        )
    return options
