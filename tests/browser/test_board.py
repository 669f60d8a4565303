"""A Task Team member works a request on the board in a real browser: scores it, approves it."""

import re

import pytest
from playwright.sync_api import Page, expect

from missions.models import Mission, Score, ScoringCriterion
from missions.workflow import Status
from tests.browser.conftest import login
from tests.factories import make_mission

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TITLE = "Flood response coordination, Sindh"
FOCUS = "Links between the HCT, the clusters and the provincial authorities."
DRAFT_TOR = "Review district coordination; recommend an action plan to the HCT."


def test_task_team_member_scores_a_request_and_approves_it_from_the_board(
    page: Page, live_server, cast
):
    member = cast["task_team"]
    mission = make_mission(
        "PAK", status="with_task_team", title=TITLE, agreed_focus="", draft_tor=""
    )
    criteria = list(ScoringCriterion.objects.filter(active=True).order_by("pk"))
    assert criteria, "the data migration's scoring criteria are missing"
    # A different value per criterion, within each one's scale, so a mix-up would show.
    chosen = {c.pk: (position % c.scale_max) + 1 for position, c in enumerate(criteria)}

    login(page, live_server, member.username)
    page.goto(f"{live_server.url}/task-team/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Task Team board")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=TITLE))
    expect(row).to_contain_text("1 member")  # the factory's scorer
    expect(row).to_contain_text("to score")
    row.get_by_role("link", name=TITLE).click()

    expect(page).to_have_url(re.compile(rf"/task-team/{mission.pk}/$"))
    expect(page.locator("h1 .badge")).to_have_text("With the Task Team")

    # The scorecard: one value per criterion, each in the fieldset named after it.
    for criterion in criteria:
        criterion_group = page.get_by_role("group", name=criterion.name, exact=True)
        criterion_group.get_by_role("radio", name=str(chosen[criterion.pk]), exact=True).check()
    page.get_by_role("button", name="Save my scores").click()
    expect(page.get_by_role("status")).to_contain_text("Your scores are saved.")
    expect(page).to_have_url(re.compile(rf"/task-team/{mission.pk}/$"))
    expect(page.locator("main")).to_contain_text("from 2 members")
    for criterion in criteria:
        criterion_group = page.get_by_role("group", name=criterion.name, exact=True)
        expect(
            criterion_group.get_by_role("radio", name=str(chosen[criterion.pk]), exact=True)
        ).to_be_checked()

    # The decision: approve, with the agreed focus and the draft ToR.
    decision = page.locator("form#decide")
    decision.get_by_role("radio", name="Approve: the mission goes ahead").check()
    decision.locator("#id_agreed_focus").fill(FOCUS)
    decision.locator("#id_draft_tor").fill(DRAFT_TOR)
    decision.get_by_role("button", name="Record the decision").click()

    expect(page).to_have_url(re.compile(r"/task-team/$"))
    expect(page.get_by_role("status")).to_contain_text(f"Decision recorded: {TITLE} is approved.")
    expect(page.get_by_role("link", name=TITLE)).to_have_count(0)  # off the board

    page.goto(f"{live_server.url}/missions/{mission.pk}/")
    expect(page.locator("h1 .badge")).to_have_text("Approved")

    mission.refresh_from_db()
    assert mission.status == Status.APPROVED
    assert mission.agreed_focus == FOCUS
    assert mission.draft_tor == DRAFT_TOR
    assert mission.priority_score is not None
    assert mission.priority_rank == 1
    stored = dict(
        Score.objects.filter(mission=mission, member=member).values_list("criterion_id", "value")
    )
    assert stored == chosen
    approve = mission.log.get(transition="approve")
    assert (approve.source, approve.target, approve.user) == (
        Status.WITH_TASK_TEAM,
        Status.APPROVED,
        member,
    )
    assert Mission.objects.get(pk=mission.pk).scores.values("member").distinct().count() == 2
