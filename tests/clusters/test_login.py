"""Logging in resists guessing: every login surface (the site's, the admin's, the password reset
form) locks out an account and an address after a number of tries, says how long to wait, and
lets them in again after the wait. Passwords are reset by e-mail, with the same answer whether
or not an account has the address, and checked by Django's validators."""

import contextlib
import datetime
import html
import re
from unittest import mock
from urllib.parse import urlparse

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOCKED = 429


@contextlib.contextmanager
def later(delta: datetime.timedelta):
    """The clock moved on by `delta` from now (as the test runs), for Django and django-axes."""
    real_now = timezone.now

    def moved():
        return real_now() + delta

    with (
        mock.patch("django.utils.timezone.now", moved),
        mock.patch("axes.handlers.proxy.now", moved),
        mock.patch("axes.attempts.now", moved),
    ):
        yield


def after_the_cool_off() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.ICSM_LOGIN_COOLOFF_MINUTES, seconds=30)


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture(autouse=True)
def empty_cache():
    """The reset form's counts live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def person(db):
    return UserFactory(username="amina", email="amina@example.org")


@pytest.fixture
def staff(db):
    return UserFactory(username="desk-officer", is_staff=True)


SURFACES = {
    "site": lambda: reverse("login"),
    "admin": lambda: reverse("admin:login"),
}


def try_password(client, surface: str, username: str, password: str, address="127.0.0.1"):
    return client.post(
        SURFACES[surface](),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def assert_locked_out(response):
    assert response.status_code == LOCKED
    page = text(response)
    assert "Too many failed logins" in page
    minutes = settings.ICSM_LOGIN_COOLOFF_MINUTES
    assert f"Try again in {minutes} minutes" in page
    assert f"after {settings.ICSM_LOGIN_FAILURE_LIMIT} failed tries" in page


@pytest.mark.parametrize("surface", SURFACES)
def test_an_account_is_locked_out_after_the_limit_and_let_in_after_the_wait(
    client, person, staff, surface
):
    user = staff if surface == "admin" else person
    limit = settings.ICSM_LOGIN_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert try_password(client, surface, user.username, "wrong").status_code == 200
    assert_locked_out(try_password(client, surface, user.username, "wrong"))
    # The right password does not get through the lock either.
    assert_locked_out(try_password(client, surface, user.username, "pw"))
    assert "_auth_user_id" not in client.session

    with later(after_the_cool_off()):
        response = try_password(client, surface, user.username, "pw")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_limit_and_the_wait_are_settings(client, person, settings):
    # (The environment sets ICSM_LOGIN_*; the settings hand them to django-axes.)
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=3)
    assert try_password(client, "site", "amina", "wrong").status_code == 200
    locked = try_password(client, "site", "amina", "wrong")
    assert locked.status_code == LOCKED
    assert "Try again in 3 minutes" in text(locked)
    assert "after 2 failed tries" in text(locked)
    with later(datetime.timedelta(minutes=3, seconds=30)):
        assert try_password(client, "site", "amina", "pw").status_code == 302


def test_an_account_is_locked_out_whatever_address_the_guesses_come_from(client, person):
    limit = settings.ICSM_LOGIN_FAILURE_LIMIT
    for n in range(limit - 1):
        try_password(client, "site", "amina", "wrong", address=f"10.0.0.{n + 1}")
    assert_locked_out(try_password(client, "site", "amina", "wrong", address="10.0.1.1"))
    assert_locked_out(try_password(client, "site", "amina", "pw", address="10.0.2.1"))


def test_an_address_is_locked_out_whatever_accounts_it_tries(client, person):
    limit = settings.ICSM_LOGIN_FAILURE_LIMIT
    for n in range(limit - 1):
        try_password(client, "site", f"guess-{n}", "wrong", address="203.0.113.9")
    assert_locked_out(try_password(client, "site", "someone", "wrong", address="203.0.113.9"))
    # Amina's own password from that address waits too; from her own address she gets in.
    assert_locked_out(try_password(client, "site", "amina", "pw", address="203.0.113.9"))
    assert try_password(client, "site", "amina", "pw", address="198.51.100.7").status_code == 302


def test_each_try_while_locked_out_starts_the_wait_again(client, person):
    limit = settings.ICSM_LOGIN_FAILURE_LIMIT
    for _ in range(limit):
        try_password(client, "site", "amina", "wrong")
    with later(datetime.timedelta(minutes=settings.ICSM_LOGIN_COOLOFF_MINUTES - 1)):
        assert_locked_out(try_password(client, "site", "amina", "wrong"))
    # Past the first wait, but not past the one the last try started (nor this one's).
    with later(after_the_cool_off()):
        assert_locked_out(try_password(client, "site", "amina", "pw"))
    with later(after_the_cool_off() * 2):
        assert try_password(client, "site", "amina", "pw").status_code == 302


def test_failed_and_successful_logins_are_logged_and_signalled(client, person):
    failed, logged_in = [], []

    def on_failed(sender, credentials, request=None, **kwargs):
        failed.append(credentials.get("username"))

    def on_logged_in(sender, request, user, **kwargs):
        logged_in.append(user.username)

    user_login_failed.connect(on_failed)
    user_logged_in.connect(on_logged_in)
    try:
        try_password(client, "site", "amina", "wrong")
        try_password(client, "site", "amina", "pw")
    finally:
        user_login_failed.disconnect(on_failed)
        user_logged_in.disconnect(on_logged_in)
    assert failed == ["amina"]
    assert logged_in == ["amina"]
    assert AccessFailureLog.objects.filter(username="amina", ip_address="127.0.0.1").count() == 1
    assert AccessLog.objects.filter(username="amina", ip_address="127.0.0.1").count() == 1
    assert AccessAttempt.objects.get(username="amina").failures_since_start == 1


def test_logout_is_a_post(client, person):
    client.force_login(person)
    assert client.get(reverse("logout")).status_code == 405
    assert client.session["_auth_user_id"] == str(person.pk)
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


# Password reset ---------------------------------------------------------------------------------


def ask_reset(client, email: str, address: str = "127.0.0.1"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_the_login_page_links_to_the_password_reset(client):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()


def test_a_reset_answers_the_same_whether_or_not_an_account_has_the_address(client, person):
    known = ask_reset(client, "amina@example.org")
    unknown = ask_reset(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["amina@example.org"]
    done = client.get(reverse("password_reset_done"))
    assert "If an ICSM account has the address you typed" in text(done)


def test_the_reset_e_mail_has_a_subject_a_text_and_an_html_body(client, person):
    ask_reset(client, "amina@example.org")
    message = mail.outbox[0]
    assert message.subject == "Reset your ICSM password"
    assert "amina" in message.body
    assert "/account/set-password/" in message.body
    (html_body, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    assert "/account/set-password/" in html_body


def reset_link(client, email: str) -> str:
    ask_reset(client, email)
    return urlparse(re.search(r"http\S+/account/set-password/\S+/", mail.outbox[-1].body)[0]).path


def test_the_reset_link_refuses_a_common_password_and_takes_a_strong_one(client, person):
    form_page = client.get(reset_link(client, "amina@example.org"), follow=True)
    assert form_page.context["validlink"]
    form_url = form_page.redirect_chain[-1][0]
    refused = client.post(
        form_url, {"new_password1": "password123", "new_password2": "password123"}
    )
    assert refused.status_code == 200
    assert "This password is too common." in text(refused)
    person.refresh_from_db()
    assert person.check_password("pw")

    done = client.post(
        form_url,
        {"new_password1": "Indus-delta-flood-2026", "new_password2": "Indus-delta-flood-2026"},
        follow=True,
    )
    assert "Your password is set" in text(done)
    person.refresh_from_db()
    assert person.check_password("Indus-delta-flood-2026")


def assert_reset_throttled(response):
    assert response.status_code == LOCKED
    page = text(response)
    assert "Too many password reset requests" in page
    assert re.search(r"Try again in \d+ minutes?\.", page)


def test_reset_requests_from_one_address_are_limited_then_let_through_after_the_window(
    client, person
):
    limit = settings.ICSM_PASSWORD_RESET_LIMIT
    for n in range(limit):
        assert ask_reset(client, f"someone-{n}@example.org").status_code == 302
    assert_reset_throttled(ask_reset(client, "amina@example.org"))
    assert mail.outbox == []
    # Elsewhere, the same address is no one else's limit.
    assert ask_reset(client, "amina@example.org", address="198.51.100.7").status_code == 302

    window = datetime.timedelta(minutes=settings.ICSM_PASSWORD_RESET_WINDOW_MINUTES, seconds=5)
    with later(window):
        assert ask_reset(client, "someone-else@example.org").status_code == 302


def test_reset_requests_for_one_e_mail_address_are_limited_from_any_address(client, person):
    limit = settings.ICSM_PASSWORD_RESET_LIMIT
    for n in range(limit):
        ask_reset(client, "amina@example.org", address=f"10.0.0.{n + 1}")
    assert len(mail.outbox) == limit
    # Spelt otherwise, the same address.
    assert_reset_throttled(ask_reset(client, " Amina@Example.org ", address="10.9.9.9"))
    assert len(mail.outbox) == limit


def test_the_wait_for_a_reset_is_what_is_left_of_the_window(client, person):
    for _ in range(settings.ICSM_PASSWORD_RESET_LIMIT):
        ask_reset(client, "amina@example.org")
    refused = ask_reset(client, "amina@example.org")
    minutes = int(re.search(r"Try again in (\d+) minute", text(refused))[1])
    assert 1 <= minutes <= settings.ICSM_PASSWORD_RESET_WINDOW_MINUTES


def test_an_incomplete_reset_form_is_not_counted(client):
    for _ in range(settings.ICSM_PASSWORD_RESET_LIMIT + 2):
        assert client.post(reverse("password_reset"), {"email": ""}).status_code == 200
    assert ask_reset(client, "amina@example.org").status_code == 302
