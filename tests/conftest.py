"""The cast: one user per role and scope, named as the tests speak of them."""

import pytest
from django.db import connection

from clusters.models import Country, CrossCuttingIssue, GlobalCluster, Role
from clusters.services import role_grant
from tests.factories import UserFactory


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
