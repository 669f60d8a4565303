"""Granting and revoking roles. The only writers of RoleAssignment, RoleChange and role groups.

Every grant and revoke is logged (RoleChange: whose role, which, its scope as it read then, by
whom, when). The global roles reach every mission, so only a superuser gives or takes them;
`by=None` is an operator at the command line (or set-up code), logged as such.
"""

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clusters.models import (
    ROLE_SCOPE,
    SCOPE_FIELDS,
    Role,
    RoleAssignment,
    RoleChange,
    role_group_name,
)

# Roles without a scope: whoever holds one acts on every mission.
GLOBAL_ROLES = (Role.HCSS, Role.TASK_TEAM, Role.GCC)

# What HCSS needs in the admin: run the mission queue, keep reference data, manage roles.
HCSS_ADMIN_GROUP = "icsm:hcss-admin"
HCSS_ADMIN_PERMISSIONS = [
    "missions.view_mission",
    # Change: the triage note only (the admin shows everything else read-only).
    "missions.change_mission",
    "missions.view_transitionlog",
    "missions.view_triagerequest",
    "missions.change_triagerequest",
    "missions.view_scoringcriterion",
    "missions.add_scoringcriterion",
    "missions.change_scoringcriterion",
    "missions.view_attachment",
    "missions.view_checklistitem",
    "missions.add_checklistitem",
    "missions.change_checklistitem",
    "missions.view_invitation",
    "missions.view_nomination",
    "missions.view_election",
    "missions.view_candidate",
    "missions.view_ballot",
    "missions.view_lesson",
    "missions.delete_lesson",
    "reports.view_document",
    "reports.view_delivery",
    "reports.view_publication",
    "reports.view_publicationlog",
    *(
        f"clusters.{action}_{model}"
        for model in (
            "country",
            "organisation",
            "globalcluster",
            "crosscuttingissue",
            "countrycluster",
        )
        for action in ("view", "add", "change", "delete")
    ),
    "clusters.view_roleassignment",
    "clusters.add_roleassignment",
    "clusters.delete_roleassignment",
    "clusters.view_rolechange",
    "auth.view_user",
]


def role_group(role: str, **scope_ids: int | None) -> Group:
    """The group for a role within a scope, created on first use."""
    group, _created = Group.objects.get_or_create(name=role_group_name(role, **scope_ids))
    return group


def hcss_admin_group() -> Group:
    group, _created = Group.objects.get_or_create(name=HCSS_ADMIN_GROUP)
    held = {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }
    # Compared as sets: a permission swapped for another must not go unnoticed.
    if held != set(HCSS_ADMIN_PERMISSIONS):
        perms = []
        for dotted in HCSS_ADMIN_PERMISSIONS:
            app_label, codename = dotted.split(".")
            perms.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(perms)
    return group


def role_may_assign(by, role: str) -> bool:
    """Whether `by` may grant or revoke `role`. A global role only by a superuser (or an
    operator at the command line, `by=None`); the scoped roles by whoever may manage roles."""
    if role not in GLOBAL_ROLES or by is None:
        return True
    return bool(by.is_active and by.is_superuser)


def _check_may_assign(by, role: str) -> None:
    if not role_may_assign(by, role):
        raise PermissionDenied(
            _("Only a superuser grants or revokes the %(roles)s roles: they reach every mission.")
            % {"roles": ", ".join(GLOBAL_ROLES)}
        )


def _clean_scope(role: str, scope: dict) -> dict:
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}. Roles: {', '.join(Role.values)}.")
    needed = ROLE_SCOPE[role]
    missing = [name.replace("_", " ") for name in needed if scope.get(name) is None]
    extra = [
        name.replace("_", " ") for name in SCOPE_FIELDS if name not in needed and scope.get(name)
    ]
    if missing:
        raise ValidationError(f"The role {role} needs a {' and '.join(missing)}.")
    if extra:
        raise ValidationError(f"The role {role} takes no {' or '.join(extra)}.")
    return {name: scope.get(name) for name in needed}


@transaction.atomic
def role_grant(user, role: str, *, by=None, **scope) -> RoleAssignment:
    """Give `user` the role within the scope (model instances keyed by scope field), as `by`
    (None: an operator at the command line). A global role needs a superuser.

    Idempotent: granting a role the user already holds returns the existing assignment (and
    logs nothing, since nothing changed; its groups are put right all the same).
    """
    scope = _clean_scope(role, scope)
    _check_may_assign(by, role)
    assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, **scope)
    if created:
        RoleChange.objects.create(
            user=user, action=RoleChange.Action.GRANT, role=role, scope=assignment.scope, by=by
        )
    user.groups.add(role_group(role, **{f: getattr(assignment, f"{f}_id") for f in SCOPE_FIELDS}))
    if role == Role.HCSS:
        user.groups.add(hcss_admin_group())
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
    return assignment


@transaction.atomic
def role_revoke(user, role: str, *, by=None, **scope) -> bool:
    """Take the role within the scope away, as `by` (None: an operator at the command line).
    A global role needs a superuser. Returns False when the user did not hold it."""
    scope = _clean_scope(role, scope)
    _check_may_assign(by, role)
    assignment = RoleAssignment.objects.filter(user=user, role=role, **scope).first()
    if assignment is None:
        return False
    RoleChange.objects.create(
        user=user, action=RoleChange.Action.REVOKE, role=role, scope=assignment.scope, by=by
    )
    user.groups.remove(*Group.objects.filter(name=assignment.group_name))
    assignment.delete()
    if role == Role.HCSS:
        user.groups.remove(*Group.objects.filter(name=HCSS_ADMIN_GROUP))
        if user.is_staff and not user.is_superuser:
            user.is_staff = False
            user.save(update_fields=["is_staff"])
    return True
