"""Query counts that do not grow with the number of partners: each page, export and the home
page read as many queries for a cluster of 60 partners as for one of 3."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.services.rounds import round_close
from tests.commitments.factories import (
    coordinator_of,
    fill_round,
    make_cluster,
    open_round,
    partner_of,
    today,
)


def cluster_of(country: str, partners: int) -> dict:
    """A cluster with `partners` organisations, a closed round and an open one, every
    organisation answered in both (with obstacles), a representative for the first."""
    cluster, orgs = make_cluster(country, "health", partners=partners)
    coordinator = coordinator_of(cluster, f"coord-{country}")
    partner = partner_of(cluster, orgs[0], f"partner-{country}")
    old = open_round(cluster, coordinator, on=today() - datetime.timedelta(days=200))
    fill_round(old, [("MPNMPNMPNMP", "MPNMX")] * partners, obstacles=["capacity", "other"])
    round_close(old, coordinator)
    current = open_round(cluster, coordinator)
    assessments = fill_round(
        current, [("M" * 11, "M" * 5)] * (partners - 1), obstacles=["capacity"]
    )
    return {
        "cluster": cluster,
        "coordinator": coordinator,
        "partner": partner,
        "round": current,
        "own": current.assessments.get(organisation=orgs[0]),
        "other": assessments[-1],
    }


@pytest.fixture
def small(db):
    return cluster_of("PAK", 3)


@pytest.fixture
def large(db):
    return cluster_of("NPL", 60)


PAGES = [
    ("coordinator", "commitments:round", lambda c: [c["round"].pk]),
    ("partner", "commitments:round", lambda c: [c["round"].pk]),
    ("coordinator", "commitments:cluster", lambda c: [c["cluster"].pk]),
    ("coordinator", "commitments:round_csv", lambda c: [c["round"].pk]),
    ("coordinator", "commitments:round_xlsx", lambda c: [c["round"].pk]),
    ("coordinator", "commitments:assessment", lambda c: [c["other"].pk]),
    ("partner", "commitments:assessment", lambda c: [c["own"].pk]),
    ("coordinator", "commitments:index", lambda c: []),
    ("partner", "home", lambda c: []),
    ("coordinator", "home", lambda c: []),
]


def count(client, user, url) -> int:
    client.force_login(user)
    client.get(url)  # warm: the session, the content types
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(("who", "name", "args"), PAGES, ids=[f"{w}-{n}" for w, n, _ in PAGES])
def test_query_count_does_not_grow_with_the_partners(
    client, small, large, django_assert_num_queries, who, name, args
):
    expected = count(client, small[who], reverse(name, args=args(small)))
    client.force_login(large[who])
    url = reverse(name, args=args(large))
    client.get(url)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def test_across_countries_reads_as_many_queries_for_many_clusters(
    client, cast, django_assert_num_queries
):
    make_cluster("PAK", "health", partners=3)
    first, _orgs = make_cluster("PAK", "health", partners=3)
    coordinator = coordinator_of(first, "coord-first")
    fill_round(open_round(first, coordinator), [("M" * 11, "M" * 5)] * 3)
    expected = count(client, cast["focal_health"], reverse("commitments:across"))
    for code in ("NPL", "SDN", "COL", "HTI"):
        cluster, _orgs = make_cluster(code, "health", partners=5)
        fill_round(
            open_round(cluster, coordinator_of(cluster, f"c-{code}")), [("P" * 11, "P" * 5)] * 5
        )
    client.get(reverse("commitments:across"))
    with django_assert_num_queries(expected):
        client.get(reverse("commitments:across"))


@pytest.mark.parametrize("who", ["coordinator", "partner"])
def test_the_round_page_reads_the_users_roles_once(client, small, who):
    """The scopes (the round, the answers, coordinating) take the ids of the user's role rows
    as values: the role table is read once a request, not in a subquery of each query."""
    client.force_login(small[who])
    url = reverse("commitments:round", args=[small["round"].pk])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    reads = [q["sql"] for q in queries if "clusters_roleassignment" in q["sql"]]
    assert len(reads) == 1, reads
