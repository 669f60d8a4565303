"""Translation for the modules of `formats`, which do not depend on Django: Django's own when
its settings are configured (the site, the workers), else the English as written (a script).

`makemessages` finds the texts by these names (gettext, ngettext, gettext_noop), as it does
Django's.
"""

from __future__ import annotations


def _translation():
    """django.utils.translation, or None where Django is not there or not configured."""
    try:
        from django.conf import settings
        from django.utils import translation
    except ImportError:
        return None
    return translation if settings.configured else None


def gettext(message: str) -> str:
    """`message` in the active language."""
    translation = _translation()
    return translation.gettext(message) if translation else message


def ngettext(singular: str, plural: str, number: int) -> str:
    """`singular` or `plural` (by the active language's rule for `number`), translated."""
    translation = _translation()
    if translation:
        return translation.ngettext(singular, plural, number)
    return singular if number == 1 else plural


def get_language() -> str | None:
    """The active language's code (None where there is no Django: the English as written)."""
    translation = _translation()
    return translation.get_language() if translation else None


def gettext_noop(message: str) -> str:
    """Marks `message` for translation without translating it: it is translated where it is
    shown (with `gettext`)."""
    return message
