"""Celery tasks: thin wrappers that take ids, re-read, claim their work once, then act."""

from __future__ import annotations

import datetime
import logging
import smtplib
from functools import partial

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from clusters.models import Role
from missions.models import Mission, Notification, ReminderSent
from missions.services.notices import notify, notify_transition, recipients, send_notification_email
from missions.workflow import Status, after_transition

logger = logging.getLogger(__name__)


# Mail goes out from the worker, retried with backoff when the server fails.
RETRIED_MAIL = {
    "autoretry_for": (smtplib.SMTPException, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**RETRIED_MAIL)
def send_notification_email_task(notification_pk: int) -> bool:
    """E-mail one notification, once. A failure is retried with backoff."""
    notification = Notification.objects.select_related("user").filter(pk=notification_pk).first()
    if notification is None or not notification.user.email:
        return False
    # Claim it: a second run of the same message finds it sent and does nothing.
    claimed = Notification.objects.filter(pk=notification_pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    try:
        send_notification_email(notification)
    except Exception:
        Notification.objects.filter(pk=notification_pk).update(emailed_at=None)
        raise
    return True


@shared_task(**RETRIED_MAIL)
def send_email_task(subject: str, body: str, to: list[str], reply_to: list[str] | None = None):
    """A plain e-mail to someone who may have no account (e.g. a partner of a cluster)."""
    EmailMessage(subject=subject, body=body, to=to, reply_to=reply_to).send()


@shared_task(**RETRIED_MAIL)
def account_invitation_task(user_pk: int) -> bool:
    """E-mail a person new to ICSM the link to set their password.

    The link's token is made here, in the worker, so it never waits in the broker; a person
    who has set a password meanwhile gets nothing.
    """
    from missions.services.team import account_invitation_email

    user = get_user_model().objects.filter(pk=user_pk, is_active=True).first()
    if user is None or not user.email or user.has_usable_password():
        return False
    account_invitation_email(user).send()
    return True


def queue_emails(notification_pks: list[int]) -> None:
    for pk in notification_pks:
        send_notification_email_task.delay(pk)


@shared_task
def notify_transition_task(log_pk: int) -> int:
    created = notify_transition(log_pk)
    queue_emails(created)
    return len(created)


@after_transition("*")
def _notify_after_commit(log_pk: int) -> None:
    # Runs after commit. A broker or mail problem must never undo or break the transition.
    try:
        notify_transition_task.delay(log_pk)
    except Exception:
        logger.exception("Could not queue the notices for transition log %s", log_pk)


def remind_deferred(today: datetime.date | None = None) -> int:
    """Tell the Task Team about deferred requests whose date to revisit has come.

    Once per request and date, however often the scheduler runs. Returns how many reminded.
    """
    today = today or timezone.localdate()
    due = Mission.objects.filter(status=Status.DEFERRED, revisit_on__lte=today).select_related(
        "country"
    )
    reminded = 0
    for mission in due:
        # The claim and the notices commit together: a failure leaves the reminder unclaimed.
        with transaction.atomic():
            try:
                with transaction.atomic():
                    ReminderSent.objects.create(
                        kind="deferral_revisit", mission=mission, due_on=mission.revisit_on
                    )
            except IntegrityError:
                continue
            created = notify(
                recipients(mission, (Role.TASK_TEAM,)),
                mission,
                f"revisit:{mission.pk}:{mission.revisit_on.isoformat()}",
                "missions/email/revisit",
                {"today": today},
            )
            transaction.on_commit(partial(queue_emails, created))
        reminded += 1
    return reminded


@shared_task
def deferral_reminders_task() -> int:
    return remind_deferred()


@shared_task
def briefing_reminders_task() -> int:
    # Imported here: missions.preparation imports this module for queue_emails.
    from missions.services.preparation import remind_briefings

    return remind_briefings()
