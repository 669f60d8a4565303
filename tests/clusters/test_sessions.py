"""Sessions: staff sessions end after an idle period, every session of a user ends when the
password changes or is reset (but the one that changed it), and the cookies are HttpOnly and
SameSite (Secure in production: tests/config/test_settings.py)."""

import contextlib
import datetime
import html
import re
from unittest import mock
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Karakoram-highway-2026"


@contextlib.contextmanager
def later(delta: datetime.timedelta):
    real_now = timezone.now
    with mock.patch("django.utils.timezone.now", lambda: real_now() + delta):
        yield


def minutes(n: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def is_logged_in(client: Client) -> bool:
    response = client.get(reverse("missions:list"))
    return response.status_code == 200


@pytest.fixture
def staff(db):
    return UserFactory(username="desk-officer", is_staff=True)


@pytest.fixture
def person(db):
    return UserFactory(username="amina", email="amina@example.org")


def test_a_staff_session_ends_after_the_idle_period(staff):
    client = logged_in(staff)
    assert is_logged_in(client)
    idle = settings.ICSM_STAFF_IDLE_MINUTES
    with later(minutes(idle + 1)):
        response = client.get(reverse("missions:list"), follow=True)
    assert response.redirect_chain[0][0] == f"{reverse('login')}?next=/missions/"
    assert f"You were logged out after {idle} minutes without activity" in html.unescape(
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_activity_keeps_a_staff_session_going(staff):
    client = logged_in(staff)
    idle = settings.ICSM_STAFF_IDLE_MINUTES
    for step in range(1, 4):
        with later(minutes(step * (idle - 2))):
            assert is_logged_in(client)


def test_the_idle_period_is_a_setting(staff, settings):
    settings.ICSM_STAFF_IDLE_MINUTES = 5
    client = logged_in(staff)
    assert is_logged_in(client)
    with later(minutes(4)):
        assert is_logged_in(client)
    with later(minutes(4 + 6)):
        assert not is_logged_in(client)


def test_other_sessions_have_no_idle_limit(person):
    client = logged_in(person)
    assert is_logged_in(client)
    with later(minutes(settings.ICSM_STAFF_IDLE_MINUTES * 10)):
        assert is_logged_in(client)


def test_a_password_change_ends_every_other_session_of_the_user(person):
    here, elsewhere, someone_else = logged_in(person), logged_in(person), logged_in(UserFactory())
    response = here.post(
        reverse("password_change"),
        {"old_password": "pw", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == reverse("password_change_done")
    assert is_logged_in(here)
    assert not is_logged_in(elsewhere)
    assert is_logged_in(someone_else)


def test_a_password_change_refuses_a_common_password(person):
    client = logged_in(person)
    response = client.post(
        reverse("password_change"),
        {"old_password": "pw", "new_password1": "qwerty123", "new_password2": "qwerty123"},
    )
    assert response.status_code == 200
    assert "This password is too common." in html.unescape(response.content.decode())


def test_a_password_reset_ends_every_session_of_the_user(person):
    cache.clear()
    signed_in = logged_in(person)
    stranger = Client()
    stranger.post(reverse("password_reset"), {"email": person.email})
    link = urlparse(re.search(r"http\S+/account/set-password/\S+/", mail.outbox[0].body)[0]).path
    form_page = stranger.get(link, follow=True)
    stranger.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert not is_logged_in(signed_in)
    cache.clear()


def test_the_session_and_csrf_cookies_are_http_only_and_same_site(person, client):
    page = client.get(reverse("login"))
    csrf = page.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["httponly"]
    assert csrf["samesite"] == "Lax"
    response = client.post(reverse("login"), {"username": "amina", "password": "pw"})
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"]
    assert session["samesite"] == "Lax"
