"""The RC/HC office requests a mission in a real browser: one mistake, corrected, then sent."""

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from clusters.models import Country
from missions.models import Mission
from missions.workflow import Status
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

END_BEFORE_START = "The end of the window is before its start."


def field_wrapper(page: Page, field_id: str):
    """The block holding a field, its label, help and errors (div.field on the form)."""
    return page.locator("div.field").filter(has=page.locator(f"#{field_id}"))


def test_rc_hc_corrects_one_error_and_submits_the_request(page: Page, live_server, cast):
    rc_hc = cast["rc_hc_pakistan"]
    pakistan = Country.objects.get(code="PAK")
    today = datetime.date.today()
    start = today + datetime.timedelta(days=45)
    wrong_end = start - datetime.timedelta(days=5)
    end = start + datetime.timedelta(days=12)
    endorsed_on = today - datetime.timedelta(days=10)
    missions_before = Mission.objects.count()

    login(page, live_server, rc_hc.username)
    page.goto(f"{live_server.url}/missions/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Request an inter-cluster support mission"
    )

    # The whole request, with the end of the window typed before its start.
    page.fill("#id_title", "Flood response coordination, Sindh")
    page.select_option("#id_country", label=pakistan.name)
    page.get_by_role("radio", name="Specific issues").check()
    page.fill("#id_issues", "Gaps between the health and WASH clusters in Sindh.")
    page.fill("#id_objectives", "A working inter-cluster coordination group in every district.")
    page.fill("#id_deliverables", "An action plan agreed with the HCT.")
    page.fill("#id_preferred_start", start.isoformat())
    page.fill("#id_preferred_end", wrong_end.isoformat())
    page.fill("#id_suggested_team_size", "5")
    page.get_by_role("checkbox", name="Health", exact=True).check()
    page.get_by_role("checkbox", name="Water, Sanitation and Hygiene").check()
    page.fill("#id_composition_notes", "An Urdu speaker with district experience.")
    page.fill("#id_security_constraints", "Phase 3 in the north; none known in Sindh.")
    page.fill("#id_planned_evaluations", "None planned.")
    page.fill("#id_hct_endorsed_on", endorsed_on.isoformat())
    page.fill("#id_hct_endorsement_record", "HCT meeting of last week; all agencies agreed.")
    page.fill("#id_country_contacts", "Head of office, OCHA Islamabad, +92 51 000 0000.")
    page.click("button[value=submit]")

    # The error stands next to the end date; everything else typed is still there.
    end_field = field_wrapper(page, "id_preferred_end")
    expect(end_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(end_field).to_contain_text(END_BEFORE_START)
    expect(page.get_by_role("alert")).to_contain_text("Please correct one thing.")
    expect(page.locator("div.field.has-error")).to_have_count(1)
    expect(page.locator("#id_title")).to_have_value("Flood response coordination, Sindh")
    expect(page.locator("#id_objectives")).to_have_value(
        "A working inter-cluster coordination group in every district."
    )
    expect(page.locator("#id_preferred_start")).to_have_value(start.isoformat())
    expect(page.locator("#id_hct_endorsed_on")).to_have_value(endorsed_on.isoformat())
    expect(page.get_by_role("checkbox", name="Health", exact=True)).to_be_checked()
    expect(page.get_by_role("radio", name="Specific issues")).to_be_checked()
    assert Mission.objects.count() == missions_before, "a request with an error was saved"

    # Corrected and submitted: the mission page says it went to OCHA.
    page.fill("#id_preferred_end", end.isoformat())
    page.click("button[value=submit]")
    expect(page).to_have_url(re.compile(r"/missions/\d+/$"))
    expect(page.locator("h1 .badge")).to_have_text("Submitted")
    expect(page.get_by_role("status")).to_contain_text("Your request is submitted.")

    pk = int(re.search(r"/missions/(\d+)/$", page.url).group(1))
    mission = Mission.objects.get(pk=pk)
    assert Mission.objects.count() == missions_before + 1
    assert mission.status == Status.SUBMITTED
    assert mission.requested_by == rc_hc
    assert mission.country == pakistan
    assert mission.title == "Flood response coordination, Sindh"
    assert mission.mission_type == Mission.Type.SPECIFIC_ISSUES
    assert mission.objectives == "A working inter-cluster coordination group in every district."
    assert (mission.preferred_start, mission.preferred_end) == (start, end)
    assert mission.suggested_team_size == 5
    assert mission.hct_endorsed_on == endorsed_on
    assert mission.hct_endorsement_record == "HCT meeting of last week; all agencies agreed."
    assert set(mission.requested_clusters.values_list("code", flat=True)) == {"health", "wash"}
    submit = mission.log.get(transition="submit")
    assert (submit.source, submit.target, submit.user) == (Status.DRAFT, Status.SUBMITTED, rc_hc)
