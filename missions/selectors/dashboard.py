"""The HCSS dashboard's figures, over the missions the user may see.

Counts are aggregated in the database; a fixed number of queries whatever the number of
missions. The median time per state is computed in Python from the transition log, read in
one query.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from statistics import median

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.formats import date_format

from missions.models import TransitionLog
from missions.selectors.missions import missions_visible_to
from missions.selectors.triage import overdue_cutoff
from missions.workflow import TRIAGE_QUEUE_STATES, Status

TOP_COUNTRIES = 10
MONTHS = 12

# (mission id, state left, when it was left, when the mission was created)
LogRow = tuple[int, str, datetime.datetime, datetime.datetime]


def median_days_in_state(rows: Iterable[LogRow]) -> dict[str, float]:
    """The median number of days missions spent in each state before leaving it.

    A mission enters the source state of a log row at its previous row (or, for its first
    row, when it was created) and leaves it at the row itself. Only finished stays count:
    the state a mission is in now is not measured.
    """
    rows = sorted(rows, key=lambda row: (row[0], row[2]))  # stable: keeps ties in log order
    stays: dict[str, list[float]] = defaultdict(list)
    entered_at: dict[int, datetime.datetime] = {}
    for mission_id, source, at, created_at in rows:
        entered = entered_at.get(mission_id, created_at)
        # A clock set back or imported history must not give a negative stay.
        stays[source].append(max((at - entered).total_seconds(), 0) / 86400)
        entered_at[mission_id] = at
    return {state: median(days) for state, days in stays.items()}


def _month_starts(today: datetime.date, count: int) -> list[datetime.date]:
    """The first day of each of the last `count` months, oldest first, this month last."""
    year, month = today.year, today.month
    starts = []
    for _ in range(count):
        starts.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def dashboard_figures(user) -> dict:
    """Everything the dashboard shows, as lists of (label, value) in reading order."""
    visible = missions_visible_to(user)

    by_status = dict(visible.order_by().values_list("status").annotate(n=Count("pk")))
    states = [(status.label, by_status.get(status.value, 0)) for status in Status]

    countries = [
        (row["country__name"], row["n"])
        for row in visible.order_by()
        .values("country__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "country__name")[:TOP_COUNTRIES]
    ]

    starts = _month_starts(timezone.localdate(), MONTHS)
    first = timezone.make_aware(datetime.datetime.combine(starts[0], datetime.time.min))
    per_month = {
        timezone.localtime(row["month"]).date(): row["n"]
        for row in visible.filter(submitted_at__gte=first)
        .annotate(month=TruncMonth("submitted_at"))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"))
    }
    # The month's short name in the reader's language ("Mar 2026").
    months = [(date_format(start, "M Y"), per_month.get(start, 0)) for start in starts]

    rows = (
        TransitionLog.objects.filter(mission__in=visible)
        .order_by("mission_id", "at", "pk")
        .values_list("mission_id", "source", "at", "mission__created_at")
    )
    medians = median_days_in_state(rows)
    time_in_state = [
        (status.label, round(medians[status.value], 1))
        for status in Status
        if status.value in medians
    ]

    queue = visible.aggregate(
        waiting=Count("pk", filter=Q(status__in=TRIAGE_QUEUE_STATES)),
        overdue=Count(
            "pk", filter=Q(status__in=TRIAGE_QUEUE_STATES, submitted_at__lte=overdue_cutoff())
        ),
    )
    return {
        "total": sum(by_status.values()),
        "queue": queue,
        "states": states,
        "countries": countries,
        "months": months,
        "time_in_state": time_in_state,
    }
