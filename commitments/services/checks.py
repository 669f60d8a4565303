"""What every service checks of typed text before it writes it."""

from __future__ import annotations

from django.utils.translation import gettext as _

TEXT_MAX_LENGTH = 5000


def clean_text(value, errors: dict, field: str, *, limit: int = TEXT_MAX_LENGTH) -> str:
    """`value` stripped, with line ends as "\\n"; a refusal in `errors[field]` when it is too
    long for its column or holds a NUL character (which PostgreSQL cannot store)."""
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > limit:
        errors[field] = _("Keep this under %(limit)s characters (it has %(length)s).") % {
            "limit": limit,
            "length": len(text),
        }
    elif "\x00" in text:
        errors[field] = _("Remove the invisible control character (NUL) from the text.")
    return text
