"""The cast: one user per role and scope, named as the tests speak of them.

And two adaptations to the perimeter (clusters.security), which the suite runs with:

- `client.force_login(user)` stands for a whole login, the second factor included: the session
  is verified with an authenticator device of the user's (made for them). Tests of the second
  factor itself mark themselves `second_factor_pending` to get a session that has passed the
  password only.
- `authenticate()` without a request (client.login, a direct call) is an in-process call, as
  from a shell: django-axes has no address to throttle and refuses it outside the tests; here it
  goes through to the password check. Logins through the pages keep the whole throttle.
"""

import pytest
from axes.backends import AxesStandaloneBackend
from django.db import connection
from django.test.client import ClientMixin
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from clusters.models import Country, CrossCuttingIssue, GlobalCluster, Role
from clusters.services import role_grant
from tests.factories import UserFactory

SECOND_FACTOR_PENDING = "second_factor_pending"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        f"{SECOND_FACTOR_PENDING}: client.force_login leaves the session short of the second "
        "factor (the password step only)",
    )


def verified_device(user) -> TOTPDevice:
    """A confirmed authenticator of `user`'s: theirs, or one made for the test."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="Test authenticator")


@pytest.fixture(autouse=True)
def _each_test_starts_in_the_sites_language():
    """The test client runs requests in the test's own thread, and Django's LocaleMiddleware
    leaves the language it activated for a request active after it: a test that asked for a
    page in Chinese would leave the next test reading the reference data in Chinese."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(request, monkeypatch):
    if request.node.get_closest_marker(SECOND_FACTOR_PENDING):
        return
    force_login = ClientMixin.force_login

    def force_login_verified(self, user, backend=None):
        force_login(self, user, backend)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = verified_device(user).persistent_id
        session.save()

    monkeypatch.setattr(ClientMixin, "force_login", force_login_verified)


@pytest.fixture(autouse=True)
def _authenticate_in_process(monkeypatch):
    throttled = AxesStandaloneBackend.authenticate

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None  # no opinion: the next backend checks the password
        return throttled(self, request, username, password, **kwargs)

    monkeypatch.setattr(AxesStandaloneBackend, "authenticate", authenticate)


def _user(username: str, role: str | None = None, **scope):
    user = UserFactory(username=username)
    if role:
        role_grant(user, role, **scope)
    return user


@pytest.fixture
def cast(db):
    """Users per role. Country roles are for Pakistan unless the name says Nepal."""
    pak = Country.objects.get(code="PAK")
    npl = Country.objects.get(code="NPL")
    return {
        "rc_hc_pakistan": _user("rchc-pak", Role.RC_HC, country=pak),
        "rc_hc_nepal": _user("rchc-npl", Role.RC_HC, country=npl),
        "hct_pakistan": _user("hct-pak", Role.HCT_MEMBER, country=pak),
        "hct_nepal": _user("hct-npl", Role.HCT_MEMBER, country=npl),
        "hcss": _user("hcss", Role.HCSS),
        "task_team": _user("taskteam", Role.TASK_TEAM),
        "gcc": _user("gcc", Role.GCC),
        "focal_health": _user(
            "focal-health",
            Role.CLUSTER_FOCAL_POINT,
            global_cluster=GlobalCluster.objects.get(code="health"),
        ),
        "cci_gender": _user(
            "cci-gender",
            Role.CCI_FOCAL_POINT,
            cross_cutting_issue=CrossCuttingIssue.objects.get(code="gender"),
        ),
        "leader": _user("leader"),
        "outsider": _user("outsider"),
    }


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (CI runs the suite on both)")
