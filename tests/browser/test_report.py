"""The report's last mile in a real browser: the leader writes the report with a public and an
internal finding, marks it final, distributes it and publishes it; an anonymous visitor finds it
on the public page, without the internal finding."""

import pytest
from playwright.sync_api import Page, expect

from missions.models import Mission
from missions.services.permissions import mission_leader_appoint
from missions.workflow import Status
from reports.models import Delivery, Publication, PublicationStatus
from tests.browser.conftest import login
from tests.factories import make_member, make_mission

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SUMMARY = "District forums now bring WASH, health and shelter partners together."
PUBLIC_FINDING = "Partners run separate assessments of the same water points."
INTERNAL_FINDING = "A district official spoke off the record about local politics."


def test_the_leader_finalises_distributes_and_publishes_the_report(
    page: Page, live_server, cast, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "private"
    leader = cast["leader"]
    mission = make_mission("PAK", status="reporting", title="Sindh floods support mission")
    make_member(mission, "member-sindh")
    mission_leader_appoint(mission, leader)

    # The leader starts the report and writes its summary and two findings.
    login(page, live_server, leader.username)
    page.goto(f"{live_server.url}/missions/{mission.pk}/report/")
    page.get_by_role("button", name="Start the report").click()
    edit = page.locator("form", has=page.get_by_role("button", name="Save a new version"))
    edit.get_by_label("Summary").fill(SUMMARY)
    first, second = edit.locator("fieldset.finding").nth(0), edit.locator("fieldset.finding").nth(1)
    first.get_by_label("Finding").fill(PUBLIC_FINDING)
    second.get_by_label("Finding").fill(INTERNAL_FINDING)
    second.get_by_label("Internal").check()
    edit.get_by_label("What changed").fill("Summary and findings.")
    edit.get_by_role("button", name="Save a new version").click()
    expect(page.locator("main")).to_contain_text(SUMMARY)

    # The list needs an address: the leader adds one, then marks the version final.
    add = page.locator("form", has=page.get_by_role("button", name="Add to the list"))
    add.get_by_label("Name of the person or office").fill("Global WASH Cluster")
    add.get_by_label("E-mail address").fill("wash-cluster@example.org")
    add.get_by_role("button", name="Add to the list").click()
    expect(page.locator("main")).to_contain_text("wash-cluster@example.org")
    page.get_by_role("button", name="Mark version 2 final").click()
    expect(page.locator("h1")).to_contain_text("Final")

    # Distribute: the mission moves on, and the address gets its delivery.
    page.goto(f"{live_server.url}/missions/{mission.pk}/")
    page.get_by_role("button", name="Distribute the report").click()
    expect(page.get_by_role("status")).to_contain_text("follow-up")
    mission.refresh_from_db()
    assert mission.status == Status.FOLLOW_UP
    assert Delivery.objects.filter(mission=mission, email="wash-cluster@example.org").count() == 1

    # Publish the public version.
    page.goto(f"{live_server.url}/documents/missions/{mission.pk}/publication/")
    page.get_by_role("button", name="Publish the public version").click()
    expect(page.locator("main")).to_contain_text("Published")
    assert Publication.objects.get(mission=mission).status == PublicationStatus.PUBLISHED

    # Anyone finds it on the public page, with its summary and without the internal finding.
    page.get_by_role("button", name="Log out").click()
    page.goto(f"{live_server.url}/reports/")
    expect(page.locator("main")).to_contain_text("Sindh floods support mission")
    expect(page.locator("main")).to_contain_text(SUMMARY)
    page.get_by_role("link", name="Sindh floods support mission").first.click()
    expect(page.locator("main")).not_to_contain_text(INTERNAL_FINDING)
    assert Mission.objects.get(pk=mission.pk).status == Status.FOLLOW_UP
