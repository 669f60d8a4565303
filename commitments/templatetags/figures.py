"""The rows of a picture's tables (`{% load figures %}`).

Written here, not in the templates' loops, as the points' and the board's rows are: a row took
the template engine 0.3 ms, a round's page has sixteen and a mission's page a table for each
of the country's clusters. Every text is escaped where it is put in; the cells are those of
the tables' heads."""

from html import escape

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from commitments.models import MIN_RESPONSES
from commitments.templatetags.bands import band

register = template.Library()


def _item(figure, key_mark: str) -> tuple[str, str]:
    """The row's class and the item's number-free title, with the key mark."""
    key = figure.item.key
    title = escape(figure.item.title) + (key_mark if key else "")
    return (' class="key"' if key else ""), title


@register.simple_tag
def figure_rows(figures, item_heading: str, with_own, picture_shown: bool) -> str:
    """The rows of `_figures.html`: each commitment or principle with its shares, score and
    band, or why they are hidden; `with_own`: with the partner's own answers."""
    labels = {
        name: escape(text)
        for name, text in (
            ("no", _("No.")),
            ("met", _("Met")),
            ("partly", _("Partly met")),
            ("not_met", _("Not met")),
            ("not_applicable", _("Not applicable")),
            ("score", _("Score")),
            ("band", _("Band")),
            ("own", _("Your answer")),
        )
    }
    heading = escape(str(item_heading))
    key_mark = _("key commitment")
    key_mark = f' <span class="badge key-mark">{escape(key_mark)}</span>'
    if picture_shown:
        hidden = ngettext(
            "Not shown: fewer than %(threshold)s organisation rated it.",
            "Not shown: fewer than %(threshold)s organisations rated it.",
            MIN_RESPONSES,
        ) % {"threshold": MIN_RESPONSES}
    else:
        hidden = _("Not shown yet")
    hidden = f'<td colspan="5" class="hint" data-label="{labels["score"]}">{escape(hidden)}</td>'
    rows = []
    for figure in figures:
        row_class, title = _item(figure, key_mark)
        if figure.shown:
            met, partly, not_met = figure.shares
            cells = (
                f'<td class="number" data-label="{labels["met"]}">{met} % '
                f'<span class="hint">({figure.met})</span></td>'
                f'<td class="number" data-label="{labels["partly"]}">{partly} % '
                f'<span class="hint">({figure.partly})</span></td>'
                f'<td class="number" data-label="{labels["not_met"]}">{not_met} % '
                f'<span class="hint">({figure.not_met})</span></td>'
                f'<td class="number" data-label="{labels["not_applicable"]}">'
                f"{figure.not_applicable}</td>"
                f'<td class="number" data-label="{labels["score"]}">{figure.score} %</td>'
            )
        else:
            cells = hidden
        own = ""
        if with_own:
            answers = "; ".join(escape(answer.get_rating_display() or "—") for answer in figure.own)
            own = f'<td data-label="{labels["own"]}">{answers or "—"}</td>'
        rows.append(
            f"<tr{row_class}>"
            f'<td data-label="{labels["no"]}">{int(figure.item.number)}</td>'
            f'<th scope="row" data-label="{heading}">{title}</th>'
            f'{cells}<td data-label="{labels["band"]}">{band(figure.band)}</td>{own}</tr>'
        )
    return mark_safe("\n".join(rows))  # nosec B308 B703 # every value above is escaped


@register.simple_tag
def score_rows(figures) -> str:
    """The rows of a cluster's table in `_country_picture.html`: each commitment's score
    and band."""
    label_item, label_score, label_band = map(escape, (_("Commitment"), _("Score"), _("Band")))
    key_mark = _("key")
    key_mark = f' <span class="badge key-mark">{escape(key_mark)}</span>'
    rows = []
    for figure in figures:
        row_class, title = _item(figure, key_mark)
        score = figure.score
        rows.append(
            f'<tr{row_class}><th scope="row" data-label="{label_item}">'
            f"{int(figure.item.number)}. {title}</th>"
            f'<td class="number" data-label="{label_score}">'
            f"{'—' if score is None else f'{score} %'}</td>"
            f'<td data-label="{label_band}">{band(figure.band)}</td></tr>'
        )
    return mark_safe("".join(rows))  # nosec B308 B703 # every value above is escaped
