"""A calendar feed (iCalendar, RFC 5545) of whole-day events, for subscribing from any
calendar application."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class DayEvent:
    """An event of one or more whole days, `start` to `last` included.

    `uid` must stay the same for the same thing from one fetch of the feed to the next, so
    that a calendar updates the event instead of adding a second one.
    """

    uid: str
    start: datetime.date
    last: datetime.date
    summary: str
    description: str = ""
    url: str = ""
    stamp: datetime.datetime | None = None


def calendar_bytes(name: str, events: Iterable[DayEvent], *, prodid: str) -> bytes:
    """The feed named `name` (what the calendar application shows) with `events`."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", prodid)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    now = datetime.datetime.now(datetime.UTC)
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", item.stamp or now)
        event.add("dtstart", item.start)
        # DTEND of a whole-day event is the day after the last one.
        event.add("dtend", max(item.last, item.start) + datetime.timedelta(days=1))
        event.add("summary", item.summary)
        if item.description:
            event.add("description", item.description)
        if item.url:
            event.add("url", item.url)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
