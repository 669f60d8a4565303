"""Staff and the global roles (HCSS, Task Team, GCC) reach no page of their role before a second
factor: an authenticator app set up with a QR code, or one of ten single-use backup codes.
Others may turn one on from the Security page, and then use it too.

The sessions here have passed the password only (`second_factor_pending`): what a person has
after the login page."""

import contextlib
import datetime
import html
import re
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clusters.models import Role
from clusters.security import (
    authenticator_code,
    backup_codes_issue,
    second_factor_required,
)
from clusters.services import role_grant
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.second_factor_pending]

SETUP = reverse("two_factor_setup")
VERIFY = reverse("two_factor_verify")


def text(response) -> str:
    return html.unescape(response.content.decode())


def to(step: str, path: str) -> str:
    return f"{step}?{urlencode({'next': path}, safe='/')}"


def authenticator(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Phone")


@contextlib.contextmanager
def later(delta: datetime.timedelta):
    """The clock moved on by `delta` (for the devices' back-off after a wrong code)."""
    real_now = timezone.now
    with mock.patch("django.utils.timezone.now", lambda: real_now() + delta):
        yield


def logged_in(user) -> Client:
    """A client past the login page (the password), not past the second factor."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff(db):
    return UserFactory(username="desk-officer", is_staff=True)


@pytest.fixture
def people(cast, staff):
    return {**cast, "staff": staff}


# Each role's pages: what the role reaches once past the second factor.
ROLE_PAGES = {
    "staff": ["/admin/"],
    "hcss": ["/missions/", "/admin/", "/task-team/"],
    "task_team": ["/missions/", "/task-team/"],
    "gcc": ["/missions/", "/missions/follow-up/"],
}
REACHED = {
    ("staff", "/admin/"): 200,
    ("hcss", "/missions/"): 200,
    ("hcss", "/admin/"): 200,
    ("hcss", "/task-team/"): 200,
    ("task_team", "/missions/"): 200,
    ("task_team", "/task-team/"): 200,
    ("gcc", "/missions/"): 200,
    ("gcc", "/missions/follow-up/"): 200,
}
CELLS = [(who, path) for who, paths in ROLE_PAGES.items() for path in paths]


@pytest.mark.parametrize("who", ROLE_PAGES)
def test_staff_and_global_roles_must_use_a_second_factor(people, who):
    assert second_factor_required(people[who])


@pytest.mark.parametrize("who", ["rc_hc_pakistan", "hct_pakistan", "focal_health", "outsider"])
def test_other_roles_need_none(people, who):
    assert not second_factor_required(people[who])
    assert logged_in(people[who]).get("/missions/").status_code == 200


@pytest.mark.parametrize(("who", "path"), CELLS)
def test_without_a_second_factor_no_page_of_the_role_is_reached_but_the_set_up(people, who, path):
    response = logged_in(people[who]).get(path)
    assert response.status_code == 302
    assert response["Location"] == to(SETUP, path)


@pytest.mark.parametrize(("who", "path"), CELLS)
def test_with_one_each_page_waits_for_the_code_then_opens(people, who, path):
    user = people[who]
    device = authenticator(user)
    client = logged_in(user)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == to(VERIFY, path)

    passed = client.post(VERIFY, {"code": authenticator_code(device), "next": path})
    assert passed.status_code == 302
    assert passed["Location"] == path
    assert client.get(path).status_code == REACHED[(who, path)]


def test_a_post_waits_for_the_second_factor_too(people):
    client = logged_in(people["hcss"])
    authenticator(people["hcss"])
    response = client.post(reverse("notifications_read"), {})
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)


def test_the_admin_login_does_not_let_staff_past_it(people):
    client = Client()
    response = client.post(
        reverse("admin:login") + "?next=/admin/", {"username": "desk-officer", "password": "pw"}
    )
    assert response.status_code == 302
    assert client.get("/admin/")["Location"] == to(SETUP, "/admin/")


def test_logging_in_through_the_login_page_leads_to_the_code(people):
    authenticator(people["hcss"])
    client = Client()
    response = client.post(
        reverse("login"), {"username": "hcss", "password": "pw", "next": "/missions/"}, follow=True
    )
    assert response.redirect_chain[-1][0] == to(VERIFY, "/missions/")
    page = text(response)
    assert "Second step of logging in" in page
    # Only the way out in the header, until the code is in.
    assert "Log out" in page
    assert 'href="/missions/"' not in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [reverse("public:list"), reverse("login"), reverse("password_reset"), SETUP],
)
def test_the_way_in_and_the_public_pages_need_no_second_factor(people, path):
    assert logged_in(people["hcss"]).get(path).status_code == 200


def test_logging_out_needs_no_second_factor(people):
    client = logged_in(people["hcss"])
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_wrong_code_is_refused_with_a_message(people):
    device = authenticator(people["gcc"])
    client = logged_in(people["gcc"])
    wrong = "000000" if authenticator_code(device) != "000000" else "111111"
    response = client.post(VERIFY, {"code": wrong, "next": "/missions/"})
    assert response.status_code == 200
    assert "This code is not right" in text(response)
    assert client.get("/missions/").status_code == 302


def test_wrong_codes_slow_the_next_ones_down(people):
    device = authenticator(people["gcc"])
    client = logged_in(people["gcc"])
    client.post(VERIFY, {"code": "12345x"})  # not even six digits: a backup code, wrong
    for _ in range(3):
        client.post(VERIFY, {"code": "999999" if authenticator_code(device) != "999999" else "1"})
    refused = client.post(VERIFY, {"code": authenticator_code(device)})
    assert re.search(r"Too many wrong codes: wait \d+ seconds?", text(refused))
    with later(datetime.timedelta(minutes=1)):
        passed = client.post(VERIFY, {"code": authenticator_code(device)})
    assert passed.status_code == 302


def test_a_backup_code_works_once(people):
    user = people["task_team"]
    authenticator(user)
    code = backup_codes_issue(user)[0]
    first = logged_in(user)
    response = first.post(VERIFY, {"code": code.upper(), "next": "/task-team/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/task-team/"
    assert "You used a backup code: 9 are left" in text(response)

    again = logged_in(user)
    refused = again.post(VERIFY, {"code": code})
    assert refused.status_code == 200
    assert "This code is not right" in text(refused)
    assert again.get("/task-team/").status_code == 302


def test_setting_up_shows_the_qr_code_inline_and_the_secret_then_ten_backup_codes_once(people):
    user = people["hcss"]
    client = logged_in(user)
    page = client.get(SETUP + "?next=/admin/")
    assert page.status_code == 200
    content = page.content.decode()
    assert re.search(r'<svg [^>]*class="qr"[^>]*role="img"', content)
    assert "<img" not in content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = page.context["secret"]
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})+", secret)
    assert secret in content
    # The page again: the same device, so the QR code a person scanned stays right.
    assert client.get(SETUP).context["secret"] == secret

    wrong = client.post(
        SETUP, {"code": "000000" if authenticator_code(device) != "000000" else "1"}
    )
    assert "This code does not match" in text(wrong)
    assert client.get("/admin/").status_code == 302

    with later(datetime.timedelta(seconds=5)):  # past the back-off of the wrong code
        done = client.post(SETUP, {"code": authenticator_code(device), "next": "/admin/"})
    assert done["Location"] == to(reverse("two_factor_backup_codes"), "/admin/")
    shown = client.get(done["Location"])
    codes = shown.context["codes"]
    assert len(codes) == 10 == len(set(codes))
    assert all(code in shown.content.decode() for code in codes)
    assert set(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    ) == set(codes)
    # Shown once.
    assert client.get(reverse("two_factor_backup_codes")).context["codes"] is None
    # And the session has passed the second factor.
    assert client.get("/admin/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_new_backup_codes_replace_the_old_ones(people):
    user = people["hcss"]
    device = authenticator(user)
    old = backup_codes_issue(user)
    client = logged_in(user)
    client.post(VERIFY, {"code": authenticator_code(device)})
    client.post(reverse("two_factor_backup_codes"))
    new = client.get(reverse("two_factor_backup_codes")).context["codes"]
    assert len(new) == 10
    tokens = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert tokens == set(new)
    assert not tokens & set(old)


def test_a_password_alone_cannot_replace_the_second_factor(people):
    user = people["hcss"]
    device = authenticator(user)
    client = logged_in(user)
    response = client.get(SETUP)
    assert response["Location"] == VERIFY
    assert client.post(SETUP, {"code": "123456"})["Location"] == VERIFY
    assert list(TOTPDevice.objects.filter(user=user)) == [device]
    assert client.post(reverse("two_factor_backup_codes"))["Location"].startswith(VERIFY)
    assert not StaticToken.objects.filter(device__user=user).exists()


def test_replacing_the_authenticator_once_verified_retires_the_old_one(people):
    user = people["gcc"]
    old = authenticator(user)
    client = logged_in(user)
    client.post(VERIFY, {"code": authenticator_code(old)})
    client.get(SETUP)
    new = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post(SETUP, {"code": authenticator_code(new)})
    assert list(TOTPDevice.objects.filter(user=user)) == [new]
    new.refresh_from_db()
    assert new.confirmed


def test_anyone_may_opt_in_and_then_uses_it_and_may_opt_out(people):
    user = people["rc_hc_pakistan"]
    client = logged_in(user)
    assert "Off: logging in takes your password only." in text(client.get(reverse("security")))
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user)
    client.post(SETUP, {"code": authenticator_code(device)})
    assert "On: after your password" in text(client.get(reverse("security")))

    later = logged_in(user)
    assert later.get("/missions/")["Location"] == to(VERIFY, "/missions/")
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    later.post(VERIFY, {"code": authenticator_code(device)})
    assert later.post(reverse("two_factor_remove")).status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert logged_in(user).get("/missions/").status_code == 200


def test_those_who_must_use_one_cannot_turn_it_off(people):
    user = people["hcss"]
    device = authenticator(user)
    client = logged_in(user)
    client.post(VERIFY, {"code": authenticator_code(device)})
    response = client.post(reverse("two_factor_remove"), follow=True)
    assert "Your role needs a second factor: it cannot be turned off." in text(response)
    assert TOTPDevice.objects.filter(user=user).exists()


def test_a_development_server_may_skip_it(people, settings):
    settings.ICSM_REQUIRE_SECOND_FACTOR = False
    assert logged_in(people["hcss"]).get("/missions/").status_code == 200
    page = text(logged_in(people["hcss"]).get(reverse("security")))
    assert "The second factor is skipped on this development server" in page


def test_a_global_role_granted_later_needs_the_second_factor_from_the_next_page_on(people):
    user = people["outsider"]
    client = logged_in(user)
    assert client.get("/missions/").status_code == 200
    role_grant(user, Role.GCC)
    assert client.get("/missions/")["Location"] == to(SETUP, "/missions/")


def test_passing_the_second_factor_gives_the_session_a_new_key(people):
    device = authenticator(people["gcc"])
    client = logged_in(people["gcc"])
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(VERIFY, {"code": authenticator_code(device)})
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before
    assert client.get("/missions/").status_code == 200
