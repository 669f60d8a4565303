"""Commitments in a real browser: the coordinator of Pakistan's health cluster opens a round,
three partners fill in and submit their self-assessments, and the coordinator sees the
cluster's picture."""

import re

import pytest
from playwright.sync_api import Page, expect

from commitments.models import AssessmentStatus, Round
from commitments.selectors.framework import assessed_items
from tests.browser.conftest import login
from tests.commitments.factories import coordinator_of, make_cluster, partner_of

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Each partner's answer to every item, by the radio's position: Met, Partly met, Not met.
ANSWERS = {"partner-1": 0, "partner-2": 0, "partner-3": 1}


def test_a_round_from_opening_to_the_clusters_picture(page: Page, live_server, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "private"
    cluster, organisations = make_cluster("PAK", "health", partners=3)
    coordinator = coordinator_of(cluster, "coord-health")
    for index, organisation in enumerate(organisations, start=1):
        partner_of(cluster, organisation, f"partner-{index}")

    # The coordinator opens a round for every partner, with the dates the form suggests.
    login(page, live_server, coordinator.username)
    page.goto(f"{live_server.url}/commitments/clusters/{cluster.pk}/")
    page.get_by_role("link", name="Open a round").click()
    for organisation in organisations:
        expect(page.get_by_label(organisation.name)).to_be_checked()
    page.get_by_role("button", name="Open the round and invite the partners").click()
    expect(page.get_by_role("status")).to_contain_text("The round is open")
    expect(page.locator("main")).to_contain_text("The figures show once at least 3")
    round_ = Round.objects.get(country_cluster=cluster)
    items = list(assessed_items(round_.framework_id))
    page.get_by_role("button", name="Log out").click()

    # Each partner finds its self-assessment on the home page, answers and submits.
    for username, choice in ANSWERS.items():
        login(page, live_server, username)
        page.get_by_role("link", name=re.compile("Health \\(Pakistan\\)")).first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Self-assessment of")
        for item in items:
            page.locator(f"#id_rating_{item.pk}_{choice}").check()
        page.locator(f"#id_evidence_{items[0].pk}").fill("Minutes of the monthly meetings.")
        page.get_by_label("Access: language").check()
        page.get_by_label("What would help").fill("Interpretation into Urdu.")
        page.get_by_role("button", name="Submit the self-assessment").click()
        expect(page.get_by_role("status")).to_contain_text("submitted")
        expect(page.locator("main")).to_contain_text("Minutes of the monthly meetings.")
        page.get_by_role("button", name="Log out").click()
    assert set(round_.assessments.values_list("status", flat=True)) == {AssessmentStatus.SUBMITTED}

    # The coordinator sees the picture: the overall band, each commitment, the obstacles.
    login(page, live_server, coordinator.username)
    page.goto(f"{live_server.url}/commitments/rounds/{round_.pk}/")
    main = page.locator("main")
    expect(main).to_contain_text("3 of 3 organisations submitted (100 %)")
    expect(main).to_contain_text("Over every commitment: 83 % of the possible score")
    expect(page.locator("svg#commitment-scores")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Interpretation in an appropriate language"))
    expect(row).to_contain_text("67 %")
    expect(row).to_contain_text("Good")
    obstacles = page.get_by_role("row", name=re.compile("Access: language"))
    expect(obstacles).to_contain_text("3")
