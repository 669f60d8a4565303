"""Reads that need care. Every mission that reaches a page, admin list, export or API
comes through `missions_visible_to`: scope lives here and nowhere else."""

from __future__ import annotations

from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import Http404
from django.utils.translation import gettext as _
from guardian.backends import ObjectPermissionBackend, check_support
from guardian.conf import settings as guardian_settings
from guardian.core import ObjectPermissionChecker

from clusters.models import Role
from clusters.selectors import Generation, assigned, user_roles
from missions.models import (
    MISSION,
    TEAM_CODENAMES,
    Mission,
    MissionGroupObjectPermission,
    MissionUserObjectPermission,
)
from missions.workflow import Missing, MissionNotFound, Status, holds

# The roles that hold a country (its RC/HC office and HCT), and see its drafts.
COUNTRY_ROLES = (Role.RC_HC, Role.HCT_MEMBER)


# What the global roles hold on every mission, by rule: no per-mission permission rows (their
# number would grow with missions x global groups, and a filter on them blocks the indexes).
GLOBAL_ROLE_PERMS: dict[str, tuple[str, ...]] = {
    Role.HCSS: ("view_mission", "triage_mission", "cancel_mission"),
    Role.TASK_TEAM: ("view_mission", "decide_mission"),
    Role.GCC: ("view_mission", "plan_mission"),
}

# A request its country has not submitted yet is the country's alone: HCSS, the Task Team and
# the GCC see it from its first submission (a returned one stays in their sight).
NEVER_SUBMITTED = Q(status=Status.DRAFT, submitted_at__isnull=True)


def global_codenames(user) -> frozenset[str]:
    """The mission permissions `user` holds on every submitted mission through a global role
    (from the user's roles, which are read once until one changes)."""
    roles = user_roles(user) & GLOBAL_ROLE_PERMS.keys()
    return frozenset(codename for role in roles for codename in GLOBAL_ROLE_PERMS[role])


class GlobalRoleBackend:
    """Django's permission check for the global roles' rule (AUTHENTICATION_BACKENDS), beside
    guardian's, which holds what is truly per mission: the country's groups, the team, the
    leader, the invited focal points."""

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        if not isinstance(obj, Mission) or not user_obj.is_active:
            return False
        app_label, _dot, codename = perm.partition(".")
        if app_label != "missions":
            return False
        if obj.status == Status.DRAFT and obj.submitted_at is None:
            return False
        return codename in global_codenames(user_obj)


# Every object permission row saved or deleted, and every change of a user's groups, in this
# process: the permissions remembered on a user object are then read again.
PERMISSIONS = Generation()
for _model in (MissionUserObjectPermission, MissionGroupObjectPermission):
    post_save.connect(PERMISSIONS.bump, sender=_model, dispatch_uid=f"icsm-perms-{_model}")
    post_delete.connect(PERMISSIONS.bump, sender=_model, dispatch_uid=f"icsm-del-{_model}")
m2m_changed.connect(
    PERMISSIONS.bump, sender=get_user_model().groups.through, dispatch_uid="icsm-groups"
)


class _Checker(ObjectPermissionChecker):
    """guardian's checker, reading a user's own and their groups' permissions on an object
    in one query: a UNION of guardian's two, which it reads one after the other."""

    def get_perms(self, obj) -> list[str]:
        user = self.user
        if not user or not user.is_active or user.is_superuser or guardian_settings.AUTO_PREFETCH:
            return super().get_perms(obj)
        key = self.get_local_cache_key(obj)
        if key not in self._obj_perms_cache:
            own, groups = self.get_user_perms(obj), self.get_group_perms(obj)
            self._obj_perms_cache[key] = list(set(own.order_by().union(groups.order_by())))
        return self._obj_perms_cache[key]


class RequestObjectPermissionBackend(ObjectPermissionBackend):
    """guardian's object permissions, read once per user object and object.

    guardian's own backend reads a user's permissions on the object again at every check
    (two queries), and a page asks about the same mission many times. As Django's
    ModelBackend keeps model permissions on the user object, this keeps one checker there
    for the request; a change of permission rows or groups makes it start afresh.
    """

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        support, user_obj = check_support(user_obj, obj)
        if not support:
            return False
        checker = getattr(user_obj, "_icsm_checker", None)
        if checker is None or checker.icsm_generation != PERMISSIONS.current:
            checker = _Checker(user_obj)
            checker.icsm_generation = PERMISSIONS.current
            user_obj._icsm_checker = checker
        return checker.has_perm(perm, obj)


def missions_visible_to(user, model: type[Mission] = Mission) -> QuerySet[Mission]:
    """The missions `user` may see: those their roles' scopes cover (all, for a superuser).
    `model`: Mission or one of its proxies (the admin of a proxy lists its own class)."""
    if not user.is_authenticated or not user.is_active:
        return model.objects.none()
    if user.is_superuser:
        return model.objects.all()
    # The drafts never submitted are their country's alone. Most users hold no country: then
    # none of them, without a subquery on every list and count.
    hidden = NEVER_SUBMITTED
    if user_roles(user) & set(COUNTRY_ROLES):
        hidden &= ~Q(country__in=assigned(user, COUNTRY_ROLES, "country_id"))
    if "view_mission" in global_codenames(user):
        # By rule, with no permission filter: every mission but those drafts.
        return model.objects.exclude(hidden)
    # Object permissions only: a model-wide permission (e.g. the admin's) widens nothing.
    return model.objects.filter(pk__in=_viewable_ids(user)).exclude(hidden)


def _viewable_ids(user) -> list[int] | QuerySet:
    """The missions `user` may see by object permission, in their own name or a group's
    (their country's, an invited cluster's): their own as values (`own_rows`), their
    groups' a lookup of the groups' rows; both, a UNION of the two. guardian's
    get_objects_for_user ORs them, which makes the database test every mission."""
    rows = own_rows(user)
    own = held_mission_ids(user, "view_mission")
    if not rows.groups:
        return own
    groups = MissionGroupObjectPermission.objects.filter(
        group__in=rows.groups, permission__codename="view_mission"
    ).values("content_object")
    if not own:
        return groups
    return Mission.objects.filter(pk__in=own).order_by().values("pk").union(groups.order_by())


def get_mission_for(user, pk, queryset: QuerySet[Mission] | None = None) -> Mission:
    """The mission `pk` if `user` may see it; otherwise 404, whether or not it exists."""
    queryset = missions_visible_to(user) if queryset is None else queryset
    try:
        # Not the parent: two pages show it, for the few missions that follow another, and
        # its forty columns would be joined on every other read.
        return queryset.select_related("country", "requested_by").get(pk=pk)
    except (Mission.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such mission.") from None


def mission_for_update(user, mission: Mission | int) -> Mission:
    """Re-read `mission` within `user`'s scope and lock it for the current transaction.

    Every write that changes a mission or what hangs off it starts here, so that two people
    acting at once take turns, and an object out of scope is not found (MissionNotFound is a
    404 where nobody catches it).
    """
    pk = mission.pk if isinstance(mission, Mission) else mission
    current = (
        missions_visible_to(user)
        .select_for_update(of=("self",))
        .select_related("country")
        .filter(pk=pk)
        .first()
    )
    if current is None:
        raise MissionNotFound(_("No such mission."))
    return current


class OwnRows(NamedTuple):
    """What a user's mission permissions are made of: their own rows (mission id, codename)
    and the groups they are in (their roles' groups), whose rows are the missions'."""

    permissions: tuple[tuple[int, str], ...]
    groups: tuple[int, ...]


def own_rows(user) -> OwnRows:
    """The user's own permission rows and groups, in one query, remembered on the user
    object until a permission row or a group membership changes (as guardian's checker is).

    They are few: the scopes put them into their queries as values. An IN over a subquery
    joining the permission tables cost each query of a page its planning (2 ms of the
    tracker's figures, 0.6 ms so), an OR of it with another branch could not use the
    indexes, and a user in no group needs no group branch at all."""
    if not user.is_authenticated:
        return OwnRows((), ())
    remembered = getattr(user, "_icsm_own_rows", None)
    if remembered is None or remembered[0] != PERMISSIONS.current:
        group = Value("", output_field=CharField())  # a codename is never empty
        rows = (
            MissionUserObjectPermission.objects.filter(user=user)
            .order_by()
            .values_list("content_object_id", "permission__codename")
            .union(
                get_user_model()
                .groups.through.objects.filter(user=user)
                .order_by()
                .values_list("group_id", group),
                all=True,
            )
        )
        permissions, groups = [], []
        for key, codename in rows:
            if codename:
                permissions.append((key, codename))
            else:
                groups.append(key)
        remembered = user._icsm_own_rows = (
            PERMISSIONS.current,
            OwnRows(tuple(permissions), tuple(groups)),
        )
    return remembered[1]


def held_mission_ids(user, *codenames: str) -> list[int]:
    """The missions on which `user` holds one of `codenames` in their own name (the team,
    the leader), each once (from `own_rows`)."""
    return list(
        {mission for mission, codename in own_rows(user).permissions if codename in codenames}
    )


def _held_by(user, *codenames: str) -> Q:
    """The missions on which `user` holds one of `codenames` in their own name."""
    return Q(pk__in=held_mission_ids(user, *codenames))


def missions_served_by(user) -> QuerySet[Mission]:
    """The missions whose team `user` is on (in their scope, as always)."""
    return missions_visible_to(user).filter(_held_by(user, "serve_on_mission"))


def missions_led_by(user) -> QuerySet[Mission]:
    """The missions `user` leads."""
    return missions_visible_to(user).filter(_held_by(user, "lead_mission"))


def missions_on_team_of(user) -> QuerySet[Mission]:
    """The missions `user` leads or is on the team of."""
    return missions_visible_to(user).filter(_held_by(user, *TEAM_CODENAMES))


def missions_to_vote_in(user) -> QuerySet[Mission]:
    """The missions whose team votes for its leader now and where `user`, on the team, has not
    voted yet (their ballot of the open round is not cast)."""
    return (
        missions_served_by(user)
        .filter(
            elections__closed_at__isnull=True,
            elections__ballots__member__participant=user,
            elections__ballots__cast_at__isnull=True,
        )
        .distinct()
    )


def has_served(user) -> bool:
    """Whether `user` has been on (or led) any mission's team."""
    return bool(held_mission_ids(user, *TEAM_CODENAMES))


def organises(user, mission: Mission) -> bool:
    """The GCC or the mission's leader: who edit the ToR and set coverage and logistics."""
    return holds(user, "plan_mission", mission) or holds(user, "lead_mission", mission)


def transition_missing(mission: Mission, name: str) -> list[Missing]:
    """What the guards of `name` find missing on `mission` now (empty when all hold)."""
    return MISSION.missing(mission, name)


def transitions_for(mission: Mission, user, known_missing: dict | None = None) -> list[dict]:
    """The transitions `user` may take from the mission's state, with what each still lacks
    (`known_missing`: what a page has already found missing, by transition)."""
    return MISSION.options(mission, user, known_missing)
