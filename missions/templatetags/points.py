"""The action points table's rows (`{% load points %}`)."""

import datetime
from html import escape

from django import template
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from formats.people import person
from formats.text import clipper
from missions.models import ActionPoint
from missions.models.followup import PointStatus

register = template.Library()


# A row of the points table. Written here, not in the template's loop: the template engine took
# 0.4 ms a row (a URL, two labels, a date, a truncation, a dozen lookups), the page's
# largest part, and format_html half of what is left. Every value below goes through
# `escape` (the standard library's, as Django's own escape is) where it is put in; the
# cells are those of the table's head.
POINT_ROW = (
    '<tr id="point-{pk}">'
    '<th scope="row" data-label="{l_reference}"><a href="{url}">{reference}</a>{priority}</th>'
    "{mission}"
    '<td data-label="{l_recommendation}">{text}{clusters}</td>'
    '<td data-label="{l_addressed_to}">{addressee}<br><span class="hint">{level}</span></td>'
    '<td data-label="{l_owner}">{owner}</td>'
    '<td data-label="{l_due}">{due}{overdue}</td>'
    '<td data-label="{l_status}"><span class="{badge}">{status}</span>{verification}</td>'
    '<td data-label="{l_updates}">{updates}</td>'
    "</tr>"
)


def _hint(text: str) -> str:
    """A line of hint under a cell's text."""
    return f'<br><span class="hint">{escape(text)}</span>'


@register.simple_tag
def point_rows(points, show_mission: bool) -> str:
    """The rows of `_points_table.html` for `points` (from `for_display`), every text
    escaped; `show_mission`: with the mission's column."""
    today = timezone.localdate()
    labels = {
        key: escape(label)
        for key, label in (
            ("l_reference", _("Reference")),
            ("l_recommendation", _("Recommendation")),
            ("l_addressed_to", _("Addressed to")),
            ("l_owner", _("Owner")),
            ("l_due", _("Due")),
            ("l_status", _("Status")),
            ("l_updates", _("Updates")),
        )
    }
    label_mission, high_priority = escape(_("Mission")), _hint(_("High priority"))
    # Translated outside the f-strings, where xgettext (0.21) finds them.
    no_owner, overdue = _("no owner yet"), _("Overdue")
    no_owner = f'<span class="hint">{escape(no_owner)}</span>'
    overdue = f'<br><strong class="badge declined">{escape(overdue)}</strong>'
    verified, awaits = _hint(_("verified")), _hint(_("awaits verification"))
    clip = clipper(140)
    # The points' URLs differ only by their key: reversed once, not on each row.
    url = [escape(part) for part in reverse("missions:action_point", args=[0]).rsplit("0", 1)]
    # What many rows share is written once: a label is a translation, a cluster's name a
    # lookup of the language's column, a date a formatting.
    statuses = {value: escape(str(label)) for value, label in PointStatus.choices}
    levels = {value: escape(str(label)) for value, label in ActionPoint.Level.choices}
    cluster_names: dict[int, str] = {}
    days: dict[datetime.date, str] = {}
    rows = []
    for point in points:
        verification = ""
        if point.status == PointStatus.DONE:
            if point.verified_at:
                verification = verified
            elif point.needs_verification():
                verification = awaits
        mission = ""
        if show_mission:
            mission = (
                f'<td data-label="{label_mission}">{escape(point.mission.title)}<br>'
                f'<span class="hint">{escape(point.mission.country.name)}</span></td>'
            )
        due = "—"
        if point.due_on:
            due = days.get(point.due_on)
            if due is None:
                day = formats.date_format(point.due_on, "j M Y")
                due = days[point.due_on] = (
                    f'<time datetime="{point.due_on.isoformat()}">{escape(day)}</time>'
                )
        for cluster in point.cluster_list:
            if cluster.pk not in cluster_names:
                cluster_names[cluster.pk] = str(cluster)
        clusters = ", ".join(cluster_names[cluster.pk] for cluster in point.cluster_list)
        rows.append(
            POINT_ROW.format(
                pk=int(point.pk),
                url=f"{url[0]}{int(point.pk)}{url[1]}",
                reference=escape(point.reference),
                priority=high_priority if point.priority == ActionPoint.Priority.HIGH else "",
                mission=mission,
                text=escape(clip(point.text)),
                clusters=_hint(clusters) if clusters else "",
                addressee=escape(point.addressee or "—"),
                level=levels.get(point.level) or escape(point.level),
                owner=escape(person(point.owner)) if point.owner else no_owner,
                due=due,
                overdue=overdue if point.is_overdue(today) else "",
                badge=escape(point.status_badge),
                status=statuses.get(point.status) or escape(point.status),
                verification=verification,
                updates=int(point.update_count),
                **labels,
            )
        )
    return mark_safe("".join(rows))  # nosec B308 B703 # every value above is escaped
