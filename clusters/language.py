"""Which language each user reads: the choice kept for them, and the language of what is sent
to them (e-mails, PDFs), which no request tells.

On the site, Django's LocaleMiddleware applies the switcher's cookie or the browser's
languages; a signed-in user's own choice, copied into the session here, wins over both
(clusters.middleware.UserLanguageMiddleware).
"""

import functools
from contextlib import contextmanager
from gettext import GNUTranslations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import trans_real

from clusters.middleware import SESSION_LANGUAGE_KEY
from clusters.models import LanguagePreference

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def language_choose(request: HttpRequest, language: str) -> None:
    """Keep a signed-in user's choice: for this session at once, and for their next ones."""
    if language not in LANGUAGE_CODES:
        raise ValueError(f"unknown language {language!r}")
    if request.user.is_authenticated:
        LanguagePreference.objects.update_or_create(
            user=request.user, defaults={"language": language}
        )
        request.session[SESSION_LANGUAGE_KEY] = language


def language_of(user) -> str:
    """The language to write to this user in: their choice, else the site's."""
    if user is None or not getattr(user, "pk", None):
        return settings.LANGUAGE_CODE
    try:
        return user.language_preference.language
    except LanguagePreference.DoesNotExist:
        return settings.LANGUAGE_CODE


def languages_of(users) -> dict[int, str]:
    """The language to write to each of `users` in, by pk: one query for them all."""
    pks = [user.pk for user in users]
    chosen = dict(
        LanguagePreference.objects.filter(user__in=pks).values_list("user_id", "language")
    )
    return {pk: chosen.get(pk, settings.LANGUAGE_CODE) for pk in pks}


@contextmanager
def language_for(user):
    """Render what is sent to this user (an e-mail, a PDF) in their language."""
    with translation.override(language_of(user)):
        yield


@receiver(user_logged_in, dispatch_uid="clusters.language.sign_in")
def _copy_choice_into_session(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    language = (
        LanguagePreference.objects.filter(user=user).values_list("language", flat=True).first()
    )
    if language:
        request.session[SESSION_LANGUAGE_KEY] = language


# The catalogues ------------------------------------------------------------------------------


def _without_empty_fallbacks(found: trans_real.DjangoTranslation) -> trans_real.DjangoTranslation:
    """`found` without the catalogues in its chain of fallbacks that translate nothing.

    Django and each of its contrib apps ship an "en" catalogue beside "en_GB" holding only
    its header, and each becomes a fallback of the English translation. English translates
    nothing (the source strings are English), so every lookup asked all six in turn: 6 µs
    a string instead of 1.5, and a page looks up some hundreds. Without them every lookup
    gives what it gave (the last catalogue asked gives the message itself)."""
    node = found
    while node._fallback is not None:
        fallback = node._fallback
        if type(fallback) is GNUTranslations and set(fallback._catalog) <= {""}:
            node._fallback = fallback._fallback
        else:
            node = fallback
    return found


def keep_catalogues_short() -> None:
    """Make Django's translations (one per language, built on first use) without empty
    fallbacks (called once, when the apps are ready)."""
    build = trans_real.translation
    if getattr(build, "icsm_short", False):
        return

    @functools.wraps(build)
    def translation(language):
        found = build(language)
        if not getattr(found, "icsm_short", False):
            found.icsm_short = True
            _without_empty_fallbacks(found)
        return found

    translation.icsm_short = True
    trans_real.translation = translation
