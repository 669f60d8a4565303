"""The commitments cast: Pakistan's health cluster (own) and Nepal's (other), each with a
coordinator and four partners, one of them represented; and who looks across."""

from dataclasses import dataclass

import pytest

from clusters.models import CountryCluster, Organisation
from tests.commitments.factories import coordinator_of, make_cluster, partner_of


@dataclass
class Side:
    cluster: CountryCluster
    organisations: list[Organisation]
    coordinator: object
    partner: object  # represents organisations[0]


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def pakistan(db) -> Side:
    cluster, orgs = make_cluster("PAK", "health")
    return Side(
        cluster,
        orgs,
        coordinator_of(cluster, "coord-pak"),
        partner_of(cluster, orgs[0], "partner-pak"),
    )


@pytest.fixture
def nepal(db) -> Side:
    cluster, orgs = make_cluster("NPL", "health")
    return Side(
        cluster,
        orgs,
        coordinator_of(cluster, "coord-npl"),
        partner_of(cluster, orgs[0], "partner-npl"),
    )
