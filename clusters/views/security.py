"""The second factor's pages: enter a code, set up an authenticator app, backup codes, and the
Security page where each user sees where they stand (and others than staff and the global roles
may turn a second factor on or off)."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from clusters.forms import AuthenticatorConfirmForm, SecondFactorCodeForm
from clusters.security import (
    authenticator_confirm,
    authenticator_pending,
    authenticator_secret,
    authenticator_wait,
    backup_codes_issue,
    backup_codes_left,
    has_second_factor,
    second_factor_failed,
    second_factor_match,
    second_factor_remove,
    second_factor_required,
    second_factor_verified,
    second_factor_wait,
)
from formats.qr import qr_svg

# The backup codes just made, kept in the session until the page that shows them once.
NEW_BACKUP_CODES_KEY = "icsm_new_backup_codes"


def _next(request: HttpRequest) -> str:
    """Where to go afterwards: the page first asked for, if it is one of this site."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next")
    url = reverse(name)
    return f"{url}?{urlencode({'next': wanted}, safe='/')}" if wanted else url


def _too_many(wait: int) -> str:
    return ngettext(
        "Too many wrong codes: wait %(seconds)d second, then try again.",
        "Too many wrong codes: wait %(seconds)d seconds, then try again.",
        wait,
    ) % {"seconds": wait}


@never_cache
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of logging in: a code from the authenticator app, or a backup code."""
    user = request.user
    if not has_second_factor(user):
        return redirect(_with_next("two_factor_setup", request))
    form = SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        wait = second_factor_wait(user, code)
        device = None if wait else second_factor_match(user, code)
        if device is not None:
            # A new session key with the new standing, as at the password step.
            request.session.cycle_key()
            otp_login(request, device)
            second_factor_verified.send(sender=type(device), request=request, user=user)
            if isinstance(device, StaticDevice):
                left = backup_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "You used a backup code: %(left)d is left. Make new ones on the "
                        "Security page.",
                        "You used a backup code: %(left)d are left. Make new ones on the "
                        "Security page if you run short.",
                        left,
                    )
                    % {"left": left},
                )
            return redirect(_next(request))
        second_factor_failed.send(sender=None, request=request, user=user)
        if wait:
            form.add_error("code", _too_many(wait))
        else:
            form.add_error(
                "code",
                _(
                    "This code is not right. Type the six digits your app shows now, or one "
                    "of your backup codes (each works once)."
                ),
            )
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
    )


@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the secret), then type a code it
    shows. Replacing an authenticator takes the current second factor first: a password alone
    must never be enough to change it."""
    user = request.user
    replacing = has_second_factor(user)
    if replacing and not user.is_verified():
        return redirect(_with_next("two_factor_verify", request))
    device = authenticator_pending(user)
    form = AuthenticatorConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = authenticator_wait(device)
        confirmed, codes = (
            (None, []) if wait else authenticator_confirm(user, form.cleaned_data["code"])
        )
        if confirmed is not None:
            request.session.cycle_key()
            otp_login(request, confirmed)
            second_factor_verified.send(sender=type(confirmed), request=request, user=user)
            request.session[NEW_BACKUP_CODES_KEY] = codes
            messages.success(request, _("Your authenticator app is set up."))
            return redirect(_with_next("two_factor_backup_codes", request))
        form.add_error(
            "code",
            _too_many(wait)
            if wait
            else _(
                "This code does not match. Check that the app shows the account ICSM: "
                "%(username)s and type the code it shows now."
            )
            % {"username": user.get_username()},
        )
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            # Markup built as XML by formats.qr, which escapes the label: safe as it is.
            "qr": mark_safe(qr_svg(device.config_url, _("QR code for your authenticator app"))),  # nosec B308, B703
            "secret": authenticator_secret(device),
            "replacing": replacing,
            "required": second_factor_required(user),
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
    )


@never_cache
@login_required
def two_factor_backup_codes(request: HttpRequest) -> HttpResponse:
    """GET shows the backup codes just made, once; POST makes ten new ones (the old stop)."""
    user = request.user
    if request.method == "POST":
        if not user.is_verified():
            step = "two_factor_verify" if has_second_factor(user) else "two_factor_setup"
            return redirect(step)
        request.session[NEW_BACKUP_CODES_KEY] = backup_codes_issue(user)
        return redirect(_with_next("two_factor_backup_codes", request))
    return render(
        request,
        "registration/two_factor_backup_codes.html",
        {
            "codes": request.session.pop(NEW_BACKUP_CODES_KEY, None),
            "left": backup_codes_left(user),
            "has_second_factor": has_second_factor(user),
            "next": _next(request),
        },
    )


@login_required
@require_POST
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    """Turn off one's own second factor: only for those whose roles do not need one."""
    user = request.user
    if second_factor_required(user):
        messages.error(
            request,
            _("Your role needs a second factor: it cannot be turned off. You can replace it."),
        )
    elif has_second_factor(user):
        second_factor_remove(user)
        messages.success(request, _("Your second factor is off: logging in takes your password."))
    return redirect("security")


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """Where the user stands: password, second factor, backup codes left."""
    user = request.user
    return render(
        request,
        "registration/security.html",
        {
            "required": second_factor_required(user),
            "has_second_factor": has_second_factor(user),
            "verified": user.is_verified(),
            "backup_codes_left": backup_codes_left(user),
            "enforced": settings.ICSM_REQUIRE_SECOND_FACTOR,
        },
    )
