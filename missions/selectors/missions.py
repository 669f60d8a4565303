"""Reads that need care. Every mission that reaches a page, admin list, export or API
comes through `missions_visible_to`: scope lives here and nowhere else."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from guardian.shortcuts import get_objects_for_user

from clusters.models import Role, RoleAssignment
from missions.models import MISSION, Mission, MissionUserObjectPermission
from missions.workflow import Missing, MissionNotFound, Status, holds

# The roles that hold a country (its RC/HC office and HCT), and see its drafts.
COUNTRY_ROLES = (Role.RC_HC, Role.HCT_MEMBER)


def missions_visible_to(user) -> QuerySet[Mission]:
    """The missions `user` may see: those their roles' scopes cover (all, for a superuser)."""
    if not user.is_authenticated or not user.is_active:
        return Mission.objects.none()
    # Object permissions only: a model-wide permission (e.g. the admin's) widens nothing.
    visible = get_objects_for_user(
        user, "missions.view_mission", klass=Mission, accept_global_perms=False
    )
    if user.is_superuser:
        return visible
    # A request its country has not submitted yet is the country's alone: HCSS, the Task
    # Team and the GCC see it from its first submission (a returned one stays in their sight).
    countries = RoleAssignment.objects.filter(user=user, role__in=COUNTRY_ROLES).values("country")
    return visible.exclude(
        Q(status=Status.DRAFT, submitted_at__isnull=True) & ~Q(country__in=countries)
    )


def get_mission_for(user, pk, queryset: QuerySet[Mission] | None = None) -> Mission:
    """The mission `pk` if `user` may see it; otherwise 404, whether or not it exists."""
    queryset = missions_visible_to(user) if queryset is None else queryset
    try:
        return queryset.select_related("country", "requested_by", "parent").get(pk=pk)
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


def _holding(user, codename: str):
    return Exists(
        MissionUserObjectPermission.objects.filter(
            content_object=OuterRef("pk"), user=user, permission__codename=codename
        )
    )


def missions_served_by(user) -> QuerySet[Mission]:
    """The missions whose team `user` is on (in their scope, as always)."""
    return missions_visible_to(user).filter(_holding(user, "serve_on_mission"))


def missions_led_by(user) -> QuerySet[Mission]:
    """The missions `user` leads."""
    return missions_visible_to(user).filter(_holding(user, "lead_mission"))


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
    return MissionUserObjectPermission.objects.filter(
        user=user, permission__codename__in=("serve_on_mission", "lead_mission")
    ).exists()


def organises(user, mission: Mission) -> bool:
    """The GCC or the mission's leader: who edit the ToR and set coverage and logistics."""
    return holds(user, "plan_mission", mission) or holds(user, "lead_mission", mission)


def transition_missing(mission: Mission, name: str) -> list[Missing]:
    """What the guards of `name` find missing on `mission` now (empty when all hold)."""
    return MISSION.missing(mission, name)


def transitions_for(mission: Mission, user) -> list[dict]:
    """The transitions `user` may take from the mission's state, with what each still lacks."""
    return MISSION.options(mission, user)
