"""Celery entry points: thin. Each takes primary keys, and calls a service that re-reads,
claims its work once (a conditional update or a unique row) and acts. The schedule of the
periodic ones is in settings (CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task

from missions.services.followup import point_tally_fold, remind_action_points, send_digests
from missions.services.notices import (
    OUTBOX,
    decision_communicate,
    decisions_due,
    notification_send,
    outbox_due,
)
from missions.services.preparation import remind_briefings
from missions.services.prioritisation import remind_deferred

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
    # Far below the outbox's claim timeout: a claim older than that is a dead worker's.
    soft_time_limit=60,
    time_limit=90,
)
def send_notification_task(notification_pk: int) -> bool:
    """E-mail one notice of the outbox, once. A mail server's failure is retried with
    backoff (and the sweep would take it up too: the claim keeps it to one send)."""
    return notification_send(notification_pk)


def _queue(notification_pks: list[int]) -> None:
    for index, pk in enumerate(notification_pks):
        try:
            send_notification_task.delay(pk)
        except Exception:
            # The broker is down: the notices wait in the outbox, and the sweep sends them.
            # Trying the others would only hold the page (each attempt retries the broker).
            logger.warning(
                "Could not queue notification %s (and %s after it); the outbox sweep will",
                pk,
                len(notification_pks) - index - 1,
            )
            return


OUTBOX.connect(_queue)


@shared_task
def outbox_sweep_task() -> int:
    """Re-queue the notices nobody sent (a lost queueing, a dead worker), and record the
    decisions whose notices have all gone out. Returns how many notices were queued."""
    due = outbox_due()
    _queue(due)
    for log_pk in decisions_due():
        decision_communicate(log_pk)
    return len(due)


@shared_task
def deferral_reminders_task() -> int:
    return remind_deferred()


@shared_task
def briefing_reminders_task() -> int:
    return remind_briefings()


@shared_task
def action_point_reminders_task() -> int:
    return remind_action_points()


@shared_task
def action_point_digests_task() -> int:
    return send_digests()


@shared_task
def point_tally_fold_task() -> int:
    return point_tally_fold()
