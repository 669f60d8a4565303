"""The triage queue's rules of thumb: which requests wait for HCSS, and when one waits too long."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone


def triage_target_days() -> int:
    """How many days a request may wait for triage (ICSM_TRIAGE_TARGET_DAYS)."""
    return settings.ICSM_TRIAGE_TARGET_DAYS


def days_waiting(submitted_at: datetime.datetime | None, now: datetime.datetime | None = None):
    """Whole days since the request was submitted, or None when it has no submission date."""
    if submitted_at is None:
        return None
    return ((now or timezone.now()) - submitted_at).days


def is_overdue(days: int | None) -> bool:
    return days is not None and days > triage_target_days()


def overdue_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """Requests submitted at or before this moment wait longer than the target.

    Matches `is_overdue(days_waiting(...))`: more than N whole days means N + 1 days or more.
    """
    return (now or timezone.now()) - datetime.timedelta(days=triage_target_days() + 1)
