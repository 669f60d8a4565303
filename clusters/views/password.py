"""Logging in and passwords: the lock-out page, a throttled password reset, a password change.

The views are Django's (LoginView, PasswordResetView...); django-axes throttles every login
form (the site's and the admin's) through its backend and middleware, and calls `locked_out`.
"""

import math

from axes.helpers import get_client_ip_address, get_cool_off, get_failure_limit
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy

from clusters.security import password_reset_throttle
from clusters.services import audit_password_reset_requested

TOO_MANY_REQUESTS = 429


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a login on an account, or from an address, that is locked out
    (AXES_LOCKOUT_CALLABLE). Every try while locked out starts the wait again, so the wait is
    the whole cool-off from now."""
    return render(
        request,
        "registration/lockout.html",
        {
            "failure_limit": get_failure_limit(request, credentials),
            "minutes": math.ceil(get_cool_off(request).total_seconds() / 60),
        },
        status=TOO_MANY_REQUESTS,
    )


class PasswordResetRequestView(auth_views.PasswordResetView):
    """Django's reset form, with a limit per address and per e-mail address. The page after it
    says the same whether or not an account has the address."""

    template_name = "registration/password_reset_form.html"
    subject_template_name = "registration/password_reset_subject.txt"
    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"

    def form_valid(self, form):
        wait = password_reset_throttle(
            get_client_ip_address(self.request) or "", form.cleaned_data["email"]
        )
        if wait is not None:
            return render(
                self.request,
                "registration/password_reset_throttled.html",
                {"minutes": max(1, math.ceil(wait.total_seconds() / 60))},
                status=TOO_MANY_REQUESTS,
            )
        audit_password_reset_requested(self.request, form.cleaned_data["email"])
        return super().form_valid(form)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's: this session stays, every other session of the user ends (the session hash).
    Its templates are not Django's names, which are the admin's own password pages."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_complete.html"
