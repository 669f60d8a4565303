"""Bar charts as inline SVG, drawn on the server: no JavaScript, no chart library.

`bar_chart([(label, value), ...], title=..., chart_id=...)` returns SVG markup (a str) with a
<title> and a <desc> that lists every value, so a screen reader gets the numbers; each bar
carries its label and its value as text, so nothing is told by colour alone.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from html import escape

from formats.i18n import get_language, gettext

WIDTH = 640
LABEL_WIDTH = 200
VALUE_WIDTH = 90
ROW_HEIGHT = 28
BAR_HEIGHT = 18
PADDING = 8
LABEL_MAX_CHARS = 24
# Dark enough against a white page and light enough against the admin's dark theme.
BAR_COLOUR = "#417690"


def format_value(value: float, unit: str = "") -> str:
    """1234 -> '1234', 4.25 -> '4.2' (one decimal only when the value has one)."""
    text = str(int(value)) if float(value).is_integer() else f"{value:.1f}"
    return f"{text} {unit}".strip()


def _short(label: str) -> str:
    if len(label) <= LABEL_MAX_CHARS:
        return label
    return label[: LABEL_MAX_CHARS - 1].rstrip() + "…"


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    chart_id: str,
    description: str = "",
    unit: str = "",
) -> str:
    """A horizontal bar chart of `items`, one labelled bar per item, as SVG markup.

    `chart_id` must be unique on the page (it prefixes the ids of the title and description).
    `unit` follows each value ("days"). Values below zero are drawn as zero.

    The same figures draw the same chart: the last few hundred drawn are kept, by their
    texts, values and language (a page's charts change only when its figures do).
    """
    return _drawn(
        tuple((str(label), value) for label, value in items),
        str(title),
        str(chart_id),
        str(description),
        str(unit),
        get_language(),
    )


@functools.lru_cache(maxsize=512)
def _drawn(
    items: tuple[tuple[str, float], ...],
    title: str,
    chart_id: str,
    description: str,
    unit: str,
    _language: str | None,
) -> str:
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    listed = "; ".join(f"{label}: {format_value(value, unit)}" for label, value in items)
    summary = " ".join(part for part in (description, listed or gettext("No data.")) if part)
    height = PADDING * 2 + max(len(items), 1) * ROW_HEIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="icsm-chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-labelledby="{escape(title_id)} {escape(desc_id)}" '
        f'font-size="13" font-family="inherit">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(summary)}</desc>',
    ]
    if not items:
        empty = gettext("No data yet.")
        parts.append(
            f'<text x="{PADDING}" y="{PADDING + ROW_HEIGHT / 2}" dominant-baseline="middle" '
            f'fill="currentColor">{escape(empty)}</text>'
        )
    largest = max((max(value, 0) for _, value in items), default=0)
    bar_room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    for index, (label, value) in enumerate(items):
        value = max(value, 0)
        top = PADDING + index * ROW_HEIGHT
        middle = top + ROW_HEIGHT / 2
        length = round(bar_room * value / largest, 1) if largest else 0
        shown = format_value(value, unit)
        parts.append(
            f'<g class="bar"><title>{escape(label)}: {escape(shown)}</title>'
            f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" '
            f'dominant-baseline="middle" fill="currentColor">{escape(_short(label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{middle - BAR_HEIGHT / 2}" width="{length}" '
            f'height="{BAR_HEIGHT}" fill="{BAR_COLOUR}"/>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{middle}" dominant-baseline="middle" '
            f'fill="currentColor">{escape(shown)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
