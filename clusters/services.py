"""Granting and revoking roles, and the audit log. The only writers of RoleAssignment,
RoleChange, role groups and AuditEvent.

Every grant and revoke is logged (RoleChange: whose role, which, its scope as it read then, by
whom, when) and is in the audit log. The global roles reach every mission, so only a superuser
gives or takes them; `by=None` is an operator at the command line (or set-up code), logged as
such.
"""

import ipaddress

from axes.helpers import get_client_ip_address
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from clusters.models import (
    ROLE_SCOPE,
    SCOPE_FIELDS,
    AuditEvent,
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


# The audit log ---------------------------------------------------------------------------------

_USERNAME_MAX = AuditEvent._meta.get_field("username").max_length
_OBJECT_REPR_MAX = AuditEvent._meta.get_field("object_repr").max_length


def _remote_addr(request: HttpRequest | None) -> str | None:
    """The address the request came from, read as django-axes reads it for its lock-outs
    (behind trusted proxies, from X-Forwarded-For); None without a request or an address."""
    if request is None:
        return None
    try:
        return str(ipaddress.ip_address(get_client_ip_address(request) or ""))
    except ValueError:
        return None


def _printable(text: str, limit: int) -> str:
    # A name as typed at the login form can be anything: NUL, which PostgreSQL refuses in
    # text, and other control characters go, and it is cut to the column.
    return "".join(ch for ch in str(text) if ch.isprintable())[:limit]


def audit_record(
    kind: str,
    *,
    request: HttpRequest | None = None,
    user=None,
    username: str = "",
    obj: models.Model | None = None,
    content_type: ContentType | None = None,
    object_id: str = "",
    object_text: str = "",
    detail: dict | None = None,
) -> AuditEvent:
    """Append one event to the audit log, in the caller's transaction.

    `user` is who did it (None: nobody signed in, or an operator at the command line);
    `username` the name to keep when there is no user (a failed sign-in's, as typed).
    `obj` is what it was done to, kept as its type, id and `object_text` (its str() if not
    given); `content_type` and `object_id` name it instead when it may be gone (a deletion).
    `request` gives the remote address.
    """
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if user is not None and not username:
        username = user.get_username()
    if obj is not None:
        content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
        object_id = str(obj.pk)
        object_text = object_text or str(obj)
    return AuditEvent.objects.create(
        kind=kind,
        user=user,
        username=_printable(username, _USERNAME_MAX),
        content_type=content_type,
        object_id=str(object_id)[:64],
        object_repr=_printable(object_text, _OBJECT_REPR_MAX),
        remote_addr=_remote_addr(request),
        detail=detail or {},
    )


def audit_sign_in_failed(request: HttpRequest | None, typed_username: str) -> AuditEvent:
    """A failed sign-in, under the name as typed, and the account it names if there is one
    (an attempt on someone's account is what HCSS looks for)."""
    User = get_user_model()
    typed = _printable(typed_username or "", _USERNAME_MAX)
    account = (
        User._default_manager.filter(**{User.USERNAME_FIELD: typed}).first() if typed else None
    )
    return audit_record(
        AuditEvent.Kind.SIGN_IN_FAILED,
        request=request,
        username=typed,
        obj=account,
        object_text=typed,
    )


def audit_password_reset_requested(request: HttpRequest | None, email: str) -> AuditEvent:
    """A password reset asked for `email` (as typed), with the account it reaches if any; the
    page after it says the same either way, the log does not."""
    User = get_user_model()
    email_field = User.get_email_field_name()
    accounts = User._default_manager.filter(**{f"{email_field}__iexact": email, "is_active": True})
    return audit_record(
        AuditEvent.Kind.PASSWORD_RESET_REQUESTED,
        request=request,
        username=email,
        obj=accounts.order_by("pk").first(),
        object_text=email,
        detail={"accounts": accounts.count()},
    )


def audit_file_download(
    request: HttpRequest, obj: models.Model, filename: str, uploader_id: int | None
) -> AuditEvent | None:
    """A private file handed to a signed-in user other than its uploader (`uploader_id`;
    None: the file has no uploader of its own, so every download is recorded). Anonymous
    downloads are not recorded here: a recipient's personal link counts its own."""
    user = request.user
    if not user.is_authenticated or (uploader_id is not None and user.pk == uploader_id):
        return None
    return audit_record(
        AuditEvent.Kind.FILE_DOWNLOAD,
        request=request,
        user=user,
        obj=obj,
        object_text=filename,
        detail={"uploader_id": uploader_id},
    )


def _role_change_log(user, action: str, role: str, assignment: RoleAssignment, by) -> None:
    """The two records of a grant or revoke: the role's own history (RoleChange) and the
    audit log, where `by` is who did it and the object is the user whose role changed."""
    RoleChange.objects.create(user=user, action=action, role=role, scope=assignment.scope, by=by)
    audit_record(
        AuditEvent.Kind.ROLE_GRANTED
        if action == RoleChange.Action.GRANT
        else AuditEvent.Kind.ROLE_REVOKED,
        user=by,
        obj=user,
        object_text=user.get_username(),
        detail={"role": role, "scope": assignment.scope},
    )


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
        raise ValidationError(
            _("Unknown role %(role)s. Roles: %(roles)s.")
            % {"role": repr(role), "roles": ", ".join(Role.values)}
        )
    needed = ROLE_SCOPE[role]
    missing = [name.replace("_", " ") for name in needed if scope.get(name) is None]
    extra = [
        name.replace("_", " ") for name in SCOPE_FIELDS if name not in needed and scope.get(name)
    ]
    if missing:
        raise ValidationError(
            _("The role %(role)s needs a %(scope)s.")
            % {"role": role, "scope": get_text_list(missing, _("and"))}
        )
    if extra:
        raise ValidationError(
            _("The role %(role)s takes no %(scope)s.")
            % {"role": role, "scope": get_text_list(extra, _("or"))}
        )
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
        _role_change_log(user, RoleChange.Action.GRANT, role, assignment, by)
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
    _role_change_log(user, RoleChange.Action.REVOKE, role, assignment, by)
    user.groups.remove(*Group.objects.filter(name=assignment.group_name))
    assignment.delete()
    if role == Role.HCSS:
        user.groups.remove(*Group.objects.filter(name=HCSS_ADMIN_GROUP))
        if user.is_staff and not user.is_superuser:
            user.is_staff = False
            user.save(update_fields=["is_staff"])
    return True
