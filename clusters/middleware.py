"""The perimeter's middleware: the second factor's door, staff sessions' idle limit, and the
Permissions-Policy header. Their order is in the settings' MIDDLEWARE, with the reasons."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clusters.security import has_second_factor, second_factor_enforced

# What a user who has not passed the second factor yet may open: the way in and out, and the
# pages anyone may read. Everything else (the admin too) sends them to the second factor.
OPEN_BEFORE_SECOND_FACTOR = {
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "two_factor_verify",
    "two_factor_setup",
    "admin:logout",
}
PUBLIC_NAMESPACES = {"public"}
LAST_SEEN_KEY = "icsm_last_seen"


class SecondFactorMiddleware:
    """Until the session has passed the second factor, a user who must use one (or chose to)
    reaches only the pages above: every other page sends them to enter a code, or to set up an
    authenticator if they have none yet, and back to the page they asked for afterwards.

    Pages let through are marked `request.second_factor_pending` (the header then shows only
    the way out)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified() or not second_factor_enforced(user):
            return None
        request.second_factor_pending = True
        match = request.resolver_match
        if (
            match.view_name in OPEN_BEFORE_SECOND_FACTOR
            or match.namespace.split(":")[0] in PUBLIC_NAMESPACES
        ):
            return None
        step = "two_factor_verify" if has_second_factor(user) else "two_factor_setup"
        return redirect_to_login(request.get_full_path(), reverse(step))


class StaffIdleTimeoutMiddleware:
    """Staff sessions end after ICSM_STAFF_IDLE_MINUTES without a request. The time of the last
    request is kept in the session, written at most once a minute (not a write per request)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.is_staff:
            now = timezone.now().timestamp()
            last_seen = request.session.get(LAST_SEEN_KEY)
            idle_limit = settings.ICSM_STAFF_IDLE_MINUTES * 60
            if last_seen is not None and now - last_seen > idle_limit:
                logout(request)
                messages.info(
                    request,
                    _(
                        "You were logged out after %(minutes)d minutes without activity. "
                        "Log in again to go on."
                    )
                    % {"minutes": settings.ICSM_STAFF_IDLE_MINUTES},
                )
                return redirect_to_login(request.get_full_path())
            if last_seen is None or now - last_seen >= 60:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Turns off, on every response, the browser features no page uses (camera, microphone,
    location...): a page that was made to ask for them still cannot have them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.ICSM_PERMISSIONS_POLICY)
        return response


class MethodNotAllowedPageMiddleware:
    """A step's address opened as a link (a GET of a POST-only view) answers with a page in
    the site's layout that says what to do, not Django's blank 405. The status and the Allow
    header stay."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content:
            return response
        page = render(request, "405.html", status=405)
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page


class NotFoundPageMiddleware:
    """Under DEBUG too, an object out of the user's scope (a 404) shows the site's own page,
    as users see it in production, not Django's technical page listing every URL."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return render(request, "404.html", status=404)
        return None


# The signed-in user's chosen language, copied into the session at sign-in and by the
# language switcher, so that reading it costs no query.
SESSION_LANGUAGE_KEY = "icsm_language"


class UserLanguageMiddleware:
    """A signed-in user reads the site in the language they chose, on whichever browser; the
    LocaleMiddleware before it has already applied the cookie or the browser's languages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.session.get(SESSION_LANGUAGE_KEY)
        if language and translation.check_for_language(language):
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
