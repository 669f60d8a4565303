"""What Django itself tells of, into the audit log: sign-ins (and failed ones), the second
factor passed or refused, sign-outs, changes made in the admin, password changes.

These happen inside Django's views (the login view, the admin, the password forms), which
call no service of ours: their signals are the one place to hear of them. Each receiver only
appends an event (clusters.services.audit_record); none decides anything. Connected by
ClustersConfig.ready.
"""

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from clusters.models import AuditEvent
from clusters.security import second_factor_failed, second_factor_verified
from clusters.services import audit_record, audit_sign_in_failed

_ADMIN_ACTIONS = {ADDITION: "add", CHANGE: "change", DELETION: "delete"}


@receiver(user_logged_in, dispatch_uid="clusters.audit.sign_in")
def signed_in(sender, request, user, **kwargs) -> None:
    audit_record(AuditEvent.Kind.SIGN_IN, request=request, user=user)


@receiver(second_factor_verified, dispatch_uid="clusters.audit.second_factor_passed")
def second_factor_passed(sender, request, user, **kwargs) -> None:
    audit_record(
        AuditEvent.Kind.SECOND_FACTOR_PASSED,
        request=request,
        user=user,
        detail={"device": getattr(sender, "__name__", "")},
    )


@receiver(second_factor_failed, dispatch_uid="clusters.audit.second_factor_failed")
def second_factor_refused(sender, request, user, **kwargs) -> None:
    audit_record(AuditEvent.Kind.SECOND_FACTOR_FAILED, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="clusters.audit.sign_out")
def signed_out(sender, request, user, **kwargs) -> None:
    if user is not None:  # a visitor who was not signed in: nobody signed out
        audit_record(AuditEvent.Kind.SIGN_OUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="clusters.audit.sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already blanked the password in `credentials`; the name is as typed.
    typed = credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username")
    audit_sign_in_failed(request, str(typed or ""))


def audit_admin_change(entry: LogEntry) -> AuditEvent:
    """The audit event of one of the admin's log entries (an add, change or delete there)."""
    return audit_record(
        AuditEvent.Kind.ADMIN_CHANGE,
        user=entry.user,
        content_type=entry.content_type,
        object_id=entry.object_id or "",
        object_text=entry.object_repr,
        detail={
            "action": _ADMIN_ACTIONS.get(entry.action_flag, str(entry.action_flag)),
            "message": entry.get_change_message()[:500],
            "log_entry": entry.pk,
        },
    )


@receiver(post_save, sender=LogEntry, dispatch_uid="clusters.audit.admin_change")
def admin_changed(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    # Several deletions at once ("Delete selected") are logged with bulk_create, which sends
    # no post_save: clusters.admin.delete_selected records those.
    if created:
        audit_admin_change(instance)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="clusters.audit.password")
def password_changed(sender, instance, created: bool, **kwargs) -> None:
    # set_password() keeps the new password in `_password` until the save after it, which is
    # how Django itself knows to tell the password validators (AbstractBaseUser.save); a new
    # account's first password is no change.
    if not created and getattr(instance, "_password", None) is not None:
        audit_record(AuditEvent.Kind.PASSWORD_CHANGED, user=instance, obj=instance)
