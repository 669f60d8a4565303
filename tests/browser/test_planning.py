"""Planning in a real browser: the Health focal point nominates a participant, the GCC accepts
the nomination and confirms the team, and the team of three elects its leader by secret
ballot, with a deadline; the GCC closes the round early, once everyone has voted, after
confirming it."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, Page, expect

from clusters.models import GlobalCluster
from missions.models import Election, Grade, Mission, Nomination
from missions.services.team import invitations_send
from tests.browser.conftest import TIMEOUT_MS, VIEWPORT, login
from tests.factories import UserFactory, make_member, make_mission

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TITLE = "Flood response coordination, Sindh"
BEN = "Ben Idris"
BEN_EMAIL = "ben@example.org"
REASON = "Seasoned health coordinator, available for the whole mission."
STATEMENT = "I led the health cluster in Sindh in 2022 and speak Urdu."
VOTE_CAST = "Your vote is cast. It is secret and counted."
CLOSE = "Close the round and count the votes"


@contextmanager
def logged_in(browser: Browser, live_server, username: str) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies carried over), logged in as `username`."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        login(page, live_server, username)
        yield page
    finally:
        context.close()


def stand_and_vote(page: Page, election_url: str, *, statement: str | None) -> None:
    """On the election page: stand (when a statement is given), then vote for Ben."""
    page.goto(election_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Leader election")
    if statement is not None:
        page.get_by_label("Your statement").fill(statement)
        page.get_by_role("button", name="Stand as candidate").click()
        expect(page.get_by_role("status")).to_contain_text("You stand as a candidate.")
    page.get_by_role("group", name="Your choice").get_by_role("radio", name=BEN).check()
    page.get_by_role("button", name="Cast my vote").click()
    expect(page.get_by_role("status")).to_contain_text(VOTE_CAST)
    vote = page.get_by_role("region", name="Your vote")
    expect(vote).to_contain_text("You have voted.")
    expect(page.get_by_role("button", name="Cast my vote")).to_have_count(0)
    # The round is open: no tally, no count per candidate.
    expect(page.get_by_role("region", name="Result")).to_have_count(0)
    expect(page.get_by_role("columnheader", name="Votes")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(re.compile(r"\d+ of \d+ votes"))
    expect(page.locator("main")).to_contain_text(
        "The count per candidate stays secret until the GCC closes the round."
    )


def test_focal_point_nominates_gcc_confirms_and_the_team_elects_its_leader(
    page: Page, browser: Browser, live_server, cast
):
    gcc, focal = cast["gcc"], cast["focal_health"]
    mission = make_mission("PAK", status="in_planning", title=TITLE)
    (invitation,) = invitations_send(
        mission, gcc, clusters=[GlobalCluster.objects.get(code="health")]
    )
    # Already on the team, through the WASH invitation; makes the WHO organisation as well.
    amina = make_member(mission, "amina", cluster="wash", grade=Grade.P5, years=12).participant
    carla = make_member(mission, "carla", cluster="wash").participant
    ben = UserFactory(username="ben", email=BEN_EMAIL, first_name="Ben", last_name="Idris")
    start, end = mission.preferred_start, mission.preferred_end
    mission_url = f"{live_server.url}/missions/{mission.pk}"

    # 1. The Health focal point nominates Ben, who has an account already.
    login(page, live_server, focal.username)
    page.goto(f"{mission_url}/invitations/{invitation.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitation of Health")
    page.get_by_role("link", name="Nominate a participant").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nominate a participant")
    expect(page.get_by_label("Nominated through the invitation of")).to_have_value(
        str(invitation.pk)
    )
    page.get_by_label("Full name").fill(BEN)
    page.get_by_label("E-mail address").fill(BEN_EMAIL)
    page.get_by_label("Agency").select_option(label="WHO")
    page.get_by_role("checkbox", name="Health", exact=True).check()
    page.get_by_label("Years of humanitarian field experience").fill("9")
    page.get_by_label("Previous support missions").fill("2")
    page.get_by_label("Languages").fill("English, Urdu")
    page.get_by_label("Grade").select_option(label="P-4 or equivalent")
    page.get_by_label("Relevant experience").fill("Health cluster coordinator, Sindh, 2022.")
    page.get_by_label("Available from").fill(start.isoformat())
    page.get_by_label("Available until").fill(end.isoformat())
    page.get_by_role("button", name="Nominate", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/missions/{mission.pk}/nominations/\d+/$"))
    expect(page.get_by_role("status")).to_contain_text(f"{BEN} is nominated.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Nomination of {BEN}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Waiting for the GCC")
    page.get_by_role("link", name="Invitation of Health").click()
    ben_row = page.get_by_role("row").filter(has=page.get_by_role("link", name=BEN))
    expect(ben_row).to_contain_text("Waiting for the GCC")
    expect(ben_row).to_contain_text("WHO")
    nomination = Nomination.objects.get(mission=mission, participant=ben)
    assert nomination.status == Nomination.Status.PROPOSED
    assert nomination.nominated_by == focal
    assert (nomination.available_from, nomination.available_to) == (start, end)

    # 2. The GCC accepts the nomination with a reason, then confirms the team.
    with logged_in(browser, live_server, gcc.username) as gcc_page:
        gcc_page.goto(f"{mission_url}/team/")
        expect(gcc_page.get_by_role("heading", level=1)).to_contain_text("Not confirmed")
        pending = gcc_page.get_by_role("row").filter(has=gcc_page.get_by_role("link", name=BEN))
        pending.get_by_role("radio", name="Accept: they join the team").check()
        pending.get_by_label("Reason").fill(REASON)
        pending.get_by_role("button", name=f"Record the decision on {BEN}").click()
        expect(gcc_page.get_by_role("status")).to_contain_text(
            f"The nomination of {BEN} is accepted: they are on the team."
        )
        expect(gcc_page).to_have_url(re.compile(rf"/missions/{mission.pk}/team/$"))
        members = gcc_page.get_by_role("table").filter(has_text="The accepted participants")
        expect(members.get_by_role("row").filter(has_text=BEN)).to_have_count(1)
        expect(members.get_by_role("row").filter(has_text="Amina")).to_have_count(1)
        expect(members.get_by_role("row").filter(has_text="Carla")).to_have_count(1)

        gcc_page.get_by_role("button", name="Confirm the team").click()
        expect(gcc_page.get_by_role("status")).to_contain_text(
            "The team is confirmed. The team can now elect its leader."
        )
        expect(gcc_page.get_by_role("heading", level=1)).to_contain_text("Confirmed")
        expect(gcc_page.locator("main")).to_contain_text("The team is confirmed.")

        # 3. The GCC opens the election, voting open for a week unless the GCC says otherwise.
        gcc_page.goto(f"{mission_url}/election/")
        expect(gcc_page.get_by_role("heading", level=1)).to_have_text("Leader election")
        expect(gcc_page.locator("main")).to_contain_text("Not opened")
        expect(gcc_page.get_by_label("Voting closes")).not_to_have_value("")
        gcc_page.get_by_role("button", name="Open the election").click()
        expect(gcc_page.get_by_role("status")).to_contain_text("The election is open until")
        expect(gcc_page.locator("main")).to_contain_text("0 of 3 members have voted.")
        expect(gcc_page.locator("main")).to_contain_text("Voting closes on")

    # 4. Ben stands and votes for himself; Amina and Carla vote for Ben. Counts stay secret.
    election_url = f"{mission_url}/election/"
    with logged_in(browser, live_server, ben.username) as ben_page:
        stand_and_vote(ben_page, election_url, statement=STATEMENT)
        expect(ben_page.locator("main")).to_contain_text("1 of 3 members have voted.")
        expect(ben_page.get_by_role("article", name=BEN)).to_contain_text(STATEMENT)
    with logged_in(browser, live_server, amina.username) as amina_page:
        stand_and_vote(amina_page, election_url, statement=None)
        expect(amina_page.locator("main")).to_contain_text("2 of 3 members have voted.")
    with logged_in(browser, live_server, gcc.username) as gcc_page:
        # Two ballots: never counted, the tally would say how each voted.
        gcc_page.goto(election_url)
        expect(gcc_page.get_by_role("button", name=CLOSE)).to_have_count(0)
        expect(gcc_page.locator("main")).to_contain_text("counted only with at least 3 ballots")
    with logged_in(browser, live_server, carla.username) as carla_page:
        stand_and_vote(carla_page, election_url, statement=None)
        expect(carla_page.locator("main")).to_contain_text("3 of 3 members have voted.")

    # 5. Everyone has voted: the GCC closes the round before its deadline, after confirming.
    with logged_in(browser, live_server, gcc.username) as gcc_page:
        gcc_page.goto(election_url)
        expect(gcc_page.locator("main")).to_contain_text("Closing now ends the round early.")
        gcc_page.get_by_role("button", name=CLOSE).click()
        expect(gcc_page.get_by_role("alert")).to_contain_text("Nothing was changed")
        expect(gcc_page.locator("main")).to_contain_text("Tick the box to close the round early.")
        gcc_page.get_by_role("checkbox", name="Yes, close the round now").check()
        gcc_page.get_by_role("button", name=CLOSE).click()
        expect(gcc_page.get_by_role("status")).to_contain_text(
            f"Round 1 is closed. {BEN} elected with 3 of 3 votes."
        )
        expect(gcc_page.locator("main")).to_contain_text("Closed")
        expect(gcc_page.get_by_role("article", name=re.compile(BEN))).to_contain_text("Elected")
        result = gcc_page.get_by_role("region", name="Result")
        tally = result.get_by_role("row").filter(has=gcc_page.get_by_role("rowheader"))
        expect(tally).to_have_count(1)
        expect(tally.get_by_role("rowheader")).to_have_text(f"{BEN} (elected)")
        expect(tally.get_by_role("cell").first).to_have_text("3")
        expect(tally).to_contain_text("100%")
        expect(result).to_contain_text("Votes in round 1: 3 cast.")

        # The planning page: the readiness list has the leader elected, done.
        gcc_page.goto(f"{mission_url}/planning/")
        readiness = gcc_page.get_by_role("region", name=re.compile("Ready to deploy"))
        leader_step = readiness.get_by_role("listitem").filter(
            has=gcc_page.get_by_role("link", name="Leader elected")
        )
        expect(leader_step).to_have_class(re.compile(r"\bdone\b"))
        expect(leader_step).to_contain_text("done")
        team_step = readiness.get_by_role("listitem").filter(
            has=gcc_page.get_by_role("link", name="Team confirmed")
        )
        expect(team_step).to_have_class(re.compile(r"\bdone\b"))

    nomination.refresh_from_db()
    assert nomination.status == Nomination.Status.ACCEPTED
    assert nomination.decision_reason == REASON
    assert nomination.decided_by == gcc
    mission = Mission.objects.get(pk=mission.pk)
    assert mission.team_confirmed_at is not None
    election = Election.objects.get(mission=mission)
    assert election.closed_at is not None
    assert election.winner == ben
    assert election.closed_by == gcc
    votes = dict(election.candidates.values_list("member__participant__username", "votes"))
    assert votes == {"ben": 3}
    assert election.ballots.filter(cast_at__isnull=False).count() == 3
    assert election.closes_at > election.closed_at  # closed early, everyone having voted
    # Guardian caches permissions on the user object: read Ben afresh.
    ben = get_user_model().objects.get(pk=ben.pk)
    assert ben.has_perm("missions.lead_mission", mission)
