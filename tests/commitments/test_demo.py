"""The commitments demo: idempotent, and its picture shows a trend and the obstacles."""

from django.contrib.auth import authenticate
from django.urls import reverse
from pytest_django.asserts import assertContains

from commitments.demo import load_demo_commitments
from commitments.models import Answer, ClusterAction, Round, SelfAssessment
from commitments.selectors.picture import cluster_trend
from missions.models import Notification


def counts():
    return (
        Round.objects.count(),
        SelfAssessment.objects.count(),
        Answer.objects.count(),
        ClusterAction.objects.count(),
        Notification.objects.count(),
    )


def test_the_demo_loads_twice_to_the_same_rows(db):
    load_demo_commitments("demo-pass-1")
    first = counts()
    users = load_demo_commitments("demo-pass-2")
    assert counts() == first
    assert first[0] == 4  # two rounds in each of two clusters
    assert (
        authenticate(username="coord-pakistan-health", password="demo-pass-2")
        == users["coord-pakistan-health"]
    )
    assert authenticate(username="partner-pakistan-ngo", password="demo-pass-2")


def test_the_demo_shows_a_trend_the_obstacles_and_an_open_draft(client, db):
    users = load_demo_commitments("demo-pass")
    health = (
        Round.objects.filter(country_cluster__global_cluster__code="health").first().country_cluster
    )
    trend = cluster_trend(health)
    first, second = [score for _round, score in trend.scores]
    assert first < second
    latest = trend.pictures[-1]
    assert latest.shown and latest.round.status == "open"
    assert {o.code for o in latest.obstacles} >= {
        "access_language",
        "access_location",
        "time_resources",
    }
    organisations = {
        a.organisation.kind for a in SelfAssessment.objects.select_related("organisation")
    }
    assert organisations == {"un_agency", "ngo", "red_cross"}

    client.force_login(users["coord-pakistan-health"])
    response = client.get(reverse("commitments:round", args=[latest.round.pk]))
    assertContains(response, "Recorded with the previous round")
    assertContains(response, 'id="commitment-scores"')

    client.force_login(users["partner-pakistan-ngo"])
    home = client.get(reverse("home"))
    assertContains(home, "Self-assessments to submit")
    assertContains(home, "Indus Health Alliance")
