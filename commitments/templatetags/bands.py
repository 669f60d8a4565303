"""A score's band as a badge (`{% load bands %}{% band figure.band %}`)."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def band(value) -> str:
    """The badge of `value` (a Band), or "not shown" when it has none. A tag, not an
    include: the tables of a picture show one on every row, and an include costs a
    template's rendering each time."""
    if value:
        return format_html('<span class="badge band band-{}">{}</span>', value, value.label)
    return format_html('<span class="hint">{}</span>', _("not shown"))
