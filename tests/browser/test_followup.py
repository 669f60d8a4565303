"""The follow-up in a real browser: the leader drafts the action points in the country and
leaves; the owner posts progress with evidence and marks the point done; the leader verifies
it; the mission closes."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from missions.models import ActionPoint, Mission
from missions.models.followup import PointStatus
from missions.services.permissions import mission_leader_appoint
from missions.workflow import Status
from tests.browser.conftest import login
from tests.factories import UserFactory, make_mission

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXT = "Agree a district-level WASH and health coordination forum in Sindh."


def test_from_drafting_in_the_country_to_closing_the_mission(
    page: Page, live_server, cast, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "private"
    leader = cast["leader"]
    owner = UserFactory(username="owner-wash", first_name="Wasim", last_name="Khan")
    mission = make_mission("PAK", status="in_country", title="Sindh floods support mission")
    mission_leader_appoint(mission, leader)
    due = timezone.localdate() + datetime.timedelta(days=45)

    # The leader drafts the point with the country, opens it and leaves the country.
    login(page, live_server, leader.username)
    page.goto(f"{live_server.url}/missions/{mission.pk}/follow-up/")
    draft = page.locator("form", has=page.get_by_role("button", name="Save the draft"))
    draft.get_by_label("Recommendation").fill(TEXT)
    draft.get_by_label("Addressed to").select_option("role")
    draft.get_by_label("Role").fill("The HCT")
    draft.get_by_label("Owner").fill("owner-wash")
    draft.get_by_label("Due date").fill(due.isoformat())
    draft.get_by_label("Indicator").fill("The forum meets every month.")
    draft.get_by_label("Means of verification").fill("Minutes of its meetings.")
    draft.get_by_label("Priority").select_option("high")
    draft.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_role("status")).to_be_visible()
    point = ActionPoint.objects.get(mission=mission)
    assert point.status == PointStatus.DRAFT and point.owner == owner
    page.get_by_role("button", name="Open all complete drafts").click()
    expect(page.get_by_role("status")).to_be_visible()
    point.refresh_from_db()
    assert point.status == PointStatus.OPEN

    page.goto(f"{live_server.url}/missions/{mission.pk}/")
    page.get_by_role("button", name="Leave the country").click()
    expect(page.get_by_role("status")).to_contain_text("reporting")
    mission.refresh_from_db()
    assert mission.status == Status.REPORTING
    Mission.objects.filter(pk=mission.pk).update(status=Status.FOLLOW_UP)  # the report: later

    # The owner reports progress with the minutes attached, and marks the point done.
    page.get_by_role("button", name="Log out").click()
    owner.set_password("pw")
    owner.save()
    login(page, live_server, "owner-wash")
    page.goto(f"{live_server.url}/missions/follow-up/mine/")
    page.get_by_role("link", name=re.compile(point.reference)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(point.reference)
    progress = page.locator("form", has=page.get_by_role("button", name="Post the update"))
    progress.get_by_label("What was done").fill("The forum met twice; the minutes attached.")
    progress.get_by_label("How far is it (per cent)?").fill("100")
    progress.get_by_label("Evidence").set_input_files(
        {"name": "minutes.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    progress.get_by_role("button", name="Post the update").click()
    expect(page.locator("main")).to_contain_text("minutes.pdf")
    page.get_by_role("button", name="Mark done").click()
    expect(page.locator("main")).to_contain_text("awaits verification")
    point.refresh_from_db()
    assert point.status == PointStatus.DONE and point.verified_at is None

    # The leader verifies it, and the mission closes.
    page.get_by_role("button", name="Log out").click()
    login(page, live_server, leader.username)
    page.goto(f"{live_server.url}/missions/follow-up/points/{point.pk}/")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("main")).to_contain_text("verified")
    page.goto(f"{live_server.url}/missions/{mission.pk}/")
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_role("status")).to_contain_text("closed")
    mission.refresh_from_db()
    assert mission.status == Status.CLOSED
