"""The home page: what is waiting for each role, with counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from missions.services.permissions import mission_leader_appoint
from missions.services.prioritisation import active_criteria, score_record
from tests.factories import make_mission


def section(response, title):
    return next(s for s in response.context["sections"] if s["title"] == title)


def titles(response):
    return [s["title"] for s in response.context["sections"]]


def test_rc_hc_sees_drafts_of_their_country_only(client, cast):
    make_mission("PAK", title="Pakistan draft")
    make_mission("NPL", title="Nepal draft")
    client.force_login(cast["rc_hc_pakistan"])
    response = client.get("/")
    drafts = section(response, "Drafts to finish and submit")
    assert drafts["count"] == 1
    assert [m.title for m, _url in drafts["items"]] == ["Pakistan draft"]
    assert "Nepal draft" not in response.content.decode()


def test_a_cards_missions_are_read_with_the_title_and_state_it_shows(client, cast):
    """Not the forty columns of a mission, its long texts, nor its country."""
    make_mission("PAK", title="Pakistan draft")
    client.force_login(cast["rc_hc_pakistan"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    drafts = section(response, "Drafts to finish and submit")
    assert [(m.title, m.status_label) for m, _url in drafts["items"]] == [
        ("Pakistan draft", "Draft")
    ]
    cards = [q["sql"] for q in queries if q["sql"].startswith('SELECT "missions_mission"."id"')]
    assert cards
    for sql in cards:
        assert '"missions_mission"."title"' in sql
        assert '"missions_mission"."objectives"' not in sql and "clusters_country" not in sql


def test_rc_hc_and_hct_see_decisions_on_their_country(client, cast):
    mission = make_mission("PAK", status="with_task_team", title="Decided one")
    from missions.services.mission import mission_transition

    mission_transition(mission, "decline", cast["task_team"], reason="No.")
    for who in ("rc_hc_pakistan", "hct_pakistan"):
        client.force_login(cast[who])
        decisions = section(client.get("/"), "Decisions on your country's requests")
        assert [m.title for m, _url in decisions["items"]] == ["Decided one"]
    client.force_login(cast["rc_hc_nepal"])
    assert section(client.get("/"), "Decisions on your country's requests")["count"] == 0


def test_hcss_sees_requests_to_triage(client, cast):
    make_mission("PAK", status="submitted")
    make_mission("NPL", status="in_triage")
    make_mission("NPL", status="with_task_team")
    client.force_login(cast["hcss"])
    response = client.get("/")
    assert section(response, "Requests to triage")["count"] == 2
    assert "/admin/missions/triagerequest/" in response.content.decode()


def test_task_team_sees_what_they_have_not_scored_yet(client, cast):
    scored = make_mission("PAK", status="with_task_team", title="Scored")
    make_mission("NPL", status="with_task_team", title="Not scored")
    score_record(scored, cast["task_team"], {c.pk: 2 for c in active_criteria()})
    client.force_login(cast["task_team"])
    to_score = section(client.get("/"), "Requests to score")
    assert [m.title for m, _url in to_score["items"]] == ["Not scored"]


def test_gcc_sees_missions_to_organise(client, cast):
    make_mission("PAK", status="approved")
    make_mission("PAK", status="in_planning")
    make_mission("PAK", status="submitted")
    client.force_login(cast["gcc"])
    assert section(client.get("/"), "Missions to organise")["count"] == 2


def test_a_leader_sees_the_missions_they_lead(client, cast):
    led = make_mission("PAK", status="in_country", title="Led")
    make_mission("PAK", status="in_country", title="Not led")
    mission_leader_appoint(led, cast["leader"])
    client.force_login(cast["leader"])
    assert [m.title for m, _url in section(client.get("/"), "Missions you lead")["items"]] == [
        "Led"
    ]


def test_someone_without_a_role_is_told_whom_to_ask(client, cast):
    client.force_login(cast["outsider"])
    response = client.get("/")
    assert response.status_code == 200
    assert titles(response) == []
    assert "Ask OCHA" in response.content.decode()


def test_anonymous_goes_to_login(client):
    assert client.get("/").url.startswith("/login/")


@pytest.mark.parametrize("who", ["rc_hc_pakistan", "hcss", "task_team", "gcc"])
def test_home_query_count_does_not_grow(client, cast, who, django_assert_max_num_queries):
    client.force_login(cast[who])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return len(queries)

    # A session's first page does its one-off work (the second factor's device, the idle
    # clock); the counts compare pages after it.
    client.get("/")
    for status in ("draft", "submitted", "with_task_team", "approved"):
        make_mission("PAK", status=status)
    few = count()
    for status in ("draft", "submitted", "with_task_team", "approved") * 8:
        make_mission("PAK", status=status)
    assert count() == few


def test_a_focal_point_sees_the_missions_their_cluster_is_invited_to(client, cast):
    from tests.factories import make_invitation

    invited = make_mission("PAK", status="in_planning", title="Invited")
    make_mission("PAK", status="in_planning", title="Not invited")
    make_invitation(invited, "health")
    client.force_login(cast["focal_health"])
    invitations = section(client.get("/"), "Invitations to nominate participants")
    assert [m.title for m, _url in invitations["items"]] == ["Invited"]


def test_an_invited_focal_point_goes_straight_to_their_invitation(client, cast):
    from tests.factories import make_invitation

    invited = make_mission("PAK", status="in_planning", title="Invited")
    invitation = make_invitation(invited, "health")
    client.force_login(cast["focal_health"])
    page = client.get("/")
    [(_mission, url)] = section(page, "Invitations to nominate participants")["items"]
    assert url == f"/missions/{invited.pk}/invitations/{invitation.pk}/"
    assert f'href="{url}"' in page.content.decode()
    assert client.get(url).status_code == 200


def test_a_team_member_sees_the_missions_they_are_on(client, cast):
    from tests.factories import make_member

    mission = make_mission("PAK", status="in_planning", title="Mine")
    make_mission("PAK", status="in_planning", title="Not mine")
    member = make_member(mission, "amina")
    client.force_login(member.participant)
    assert [m.title for m, _url in section(client.get("/"), "Missions you are on")["items"]] == [
        "Mine"
    ]


def test_an_hct_member_sees_the_requests_waiting_for_the_hcts_agreement(client, cast):
    make_mission("PAK", status="submitted", title="To agree", hct_endorsed_on=None)
    make_mission("PAK", status="submitted", title="Agreed already")
    make_mission("NPL", status="submitted", title="Elsewhere", hct_endorsed_on=None)
    client.force_login(cast["hct_pakistan"])

    waiting = section(client.get("/"), "Requests waiting for the HCT's agreement")

    assert [m.title for m, _url in waiting["items"]] == ["To agree"]


def test_a_team_member_is_told_to_vote_while_the_round_is_open_and_not_after(client, cast):
    import datetime

    from django.utils import timezone

    from missions.models import Candidate, Mission
    from missions.services.election import election_open, election_stand, election_vote
    from tests.factories import make_member

    mission = make_mission("PAK", status="in_planning", title="Voting mission")
    Mission.objects.filter(pk=mission.pk).update(team_confirmed_at=timezone.now())
    members = [make_member(mission, name) for name in ("amina", "ben", "carla")]
    election_open(mission, cast["gcc"], closes_at=timezone.now() + datetime.timedelta(days=3))
    election_stand(mission, members[0].participant)
    voter = members[1].participant
    client.force_login(voter)
    title = "Vote for your team's leader: the vote is open"

    [(shown, url)] = section(client.get("/"), title)["items"]
    assert shown.title == "Voting mission"
    assert url == f"/missions/{mission.pk}/election/"

    election_vote(mission, voter, Candidate.objects.get(member=members[0]).pk)
    assert title not in titles(client.get("/"))
