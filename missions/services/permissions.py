"""Which roles hold which permissions on a mission, and keeping guardian in step with it.

Each (role, scope) has one auth group (clusters.services.role_group). A mission grants its
permissions to the groups whose scope covers it: the country's RC/HC and HCT groups. The
global roles (HCSS, the Task Team, the GCC) hold theirs by rule, with no row per mission
(missions.selectors.missions.GlobalRoleBackend). Granting a role is then only adding the user
to a group.
"""

from django.contrib.auth.models import Permission
from django.db import transaction

from clusters.models import Role
from clusters.services import role_group
from missions.models import (
    Invitation,
    Mission,
    MissionGroupObjectPermission,
    MissionUserObjectPermission,
    Nomination,
)
from missions.selectors.missions import GLOBAL_ROLE_PERMS

COUNTRY_ROLE_PERMS: dict[str, tuple[str, ...]] = {
    Role.RC_HC: ("view_mission", "submit_mission", "endorse_mission", "cancel_mission"),
    Role.HCT_MEMBER: ("view_mission", "endorse_mission"),
}
LEADER_PERMS = ("view_mission", "lead_mission")
# An invited cluster's or cross-cutting issue's focal points see the mission and nominate.
INVITED_PERMS = ("view_mission", "nominate_mission")
TEAM_PERMS = ("view_mission", "serve_on_mission")


def _permissions(codenames) -> dict[str, Permission]:
    return {
        p.codename: p
        for p in Permission.objects.filter(
            content_type__app_label="missions", codename__in=codenames
        )
    }


def _wanted_group_perms(mission: Mission) -> set[tuple[int, str]]:
    wanted = set()
    for role, codenames in COUNTRY_ROLE_PERMS.items():
        group = role_group(role, country=mission.country_id)
        wanted |= {(group.pk, codename) for codename in codenames}
    return wanted


@transaction.atomic
def mission_sync_permissions(mission: Mission) -> None:
    """Make the country role groups' permissions on `mission` match its country (and remove
    any a global group still held from before the global roles held theirs by rule).

    Called when a mission is created and whenever its country changes.
    """
    wanted = _wanted_group_perms(mission)
    managed_roles = [*COUNTRY_ROLE_PERMS, *GLOBAL_ROLE_PERMS]
    managed = MissionGroupObjectPermission.objects.filter(content_object=mission).select_related(
        "permission", "group"
    )
    have = set()
    for row in managed:
        role = row.group.name.split(":")[1] if row.group.name.startswith("icsm:") else None
        if role not in managed_roles:
            continue  # groups managed elsewhere (e.g. invited clusters) are left alone
        key = (row.group_id, row.permission.codename)
        if key in wanted:
            have.add(key)
        else:
            row.delete()
    perms = _permissions({codename for _, codename in wanted})
    MissionGroupObjectPermission.objects.bulk_create(
        MissionGroupObjectPermission(
            group_id=group_id, permission=perms[codename], content_object=mission
        )
        for group_id, codename in wanted - have
    )


def mission_leader_appoint(mission: Mission, user) -> None:
    """Give `user` the mission leader's permissions on `mission` (and only on it)."""
    perms = _permissions(LEADER_PERMS)
    for codename in LEADER_PERMS:
        MissionUserObjectPermission.objects.get_or_create(
            user=user, permission=perms[codename], content_object=mission
        )


def mission_leader_ids(mission: Mission) -> set[int]:
    return set(
        MissionUserObjectPermission.objects.filter(
            content_object=mission, permission__codename="lead_mission"
        ).values_list("user_id", flat=True)
    )


def invitation_focal_group(invitation: Invitation):
    """The role group of the invited cluster's (or cross-cutting issue's) focal points."""
    if invitation.global_cluster_id:
        return role_group(Role.CLUSTER_FOCAL_POINT, global_cluster=invitation.global_cluster_id)
    return role_group(Role.CCI_FOCAL_POINT, cross_cutting_issue=invitation.cross_cutting_issue_id)


def invitation_grant(invitation: Invitation) -> None:
    """The invited focal points see the mission and may nominate participants to it."""
    group = invitation_focal_group(invitation)
    perms = _permissions(INVITED_PERMS)
    for codename in INVITED_PERMS:
        MissionGroupObjectPermission.objects.get_or_create(
            group=group, permission=perms[codename], content_object_id=invitation.mission_id
        )


def team_member_grant(nomination: Nomination) -> None:
    """An accepted participant sees their mission's working file and votes for its leader."""
    perms = _permissions(TEAM_PERMS)
    for codename in TEAM_PERMS:
        MissionUserObjectPermission.objects.get_or_create(
            user_id=nomination.participant_id,
            permission=perms[codename],
            content_object_id=nomination.mission_id,
        )


def team_member_revoke(nomination: Nomination) -> None:
    """Take back what team_member_grant gave (a withdrawn participant), and the leader's
    permissions too: a leader who leaves the team no longer leads it."""
    MissionUserObjectPermission.objects.filter(
        user_id=nomination.participant_id,
        content_object_id=nomination.mission_id,
        permission__codename__in={*TEAM_PERMS, *LEADER_PERMS},
    ).delete()
