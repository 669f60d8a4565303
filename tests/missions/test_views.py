"""The mission pages as users meet them: the list, one mission, and taking a step."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from clusters.models import Country, Role
from clusters.services import role_grant
from missions.models import Mission, TransitionLog
from missions.selectors.missions import get_mission_for
from missions.services.mission import mission_transition
from tests.factories import UserFactory, make_mission

LIST_URL = reverse("missions:list")


def detail_url(mission) -> str:
    return reverse("missions:detail", args=[mission.pk])


def transition_url(mission, name: str) -> str:
    return reverse("missions:transition", args=[mission.pk, name])


def listed(response) -> set[int]:
    return {mission.pk for mission in response.context["page"].object_list}


def returned(mission: Mission) -> Mission:
    """A draft HCSS sees: one that was submitted once and returned for revision."""
    Mission.objects.filter(pk=mission.pk).update(submitted_at=timezone.now())
    mission.refresh_from_db()
    return mission


def status_of(mission) -> str:
    mission.refresh_from_db()
    return mission.status


@pytest.fixture
def pakistan_and_nepal(cast):
    return {
        "pak": make_mission("PAK", title="Pakistan flood coordination", status="submitted"),
        "npl": make_mission("NPL", title="Nepal earthquake coordination", status="submitted"),
    }


@pytest.fixture
def new_mission(cast):
    """make_mission, requested by the country's RC/HC.

    (test_a_mission_with_no_requester_still_shows covers missions without one.)
    """

    def make(country: str = "PAK", **fields):
        requester = cast["rc_hc_pakistan" if country == "PAK" else "rc_hc_nepal"]
        fields.setdefault("requested_by", requester)
        return make_mission(country, **fields)

    return make


class TestMissionList:
    def test_rc_hc_of_pakistan_sees_pakistans_missions_and_not_nepals(
        self, client, cast, pakistan_and_nepal
    ):
        client.force_login(cast["rc_hc_pakistan"])
        response = client.get(LIST_URL)
        assert response.status_code == 200
        assert listed(response) == {pakistan_and_nepal["pak"].pk}
        assertContains(response, "Pakistan flood coordination")
        assertNotContains(response, "Nepal earthquake coordination")

    def test_rc_hc_of_nepal_sees_only_nepals_missions(self, client, cast, pakistan_and_nepal):
        client.force_login(cast["rc_hc_nepal"])
        response = client.get(LIST_URL)
        assert listed(response) == {pakistan_and_nepal["npl"].pk}

    def test_hcss_sees_the_missions_of_every_country(self, client, cast, pakistan_and_nepal):
        client.force_login(cast["hcss"])
        response = client.get(LIST_URL)
        assert listed(response) == {m.pk for m in pakistan_and_nepal.values()}
        assertContains(response, "Pakistan flood coordination")
        assertContains(response, "Nepal earthquake coordination")

    def test_outsider_sees_no_missions(self, client, cast, pakistan_and_nepal):
        client.force_login(cast["outsider"])
        response = client.get(LIST_URL)
        assert response.status_code == 200
        assert listed(response) == set()
        assertContains(response, "No missions")
        assertNotContains(response, "coordination")

    def test_status_filter_shows_only_missions_in_that_status(self, client, cast):
        draft = make_mission("PAK", status="draft")
        submitted = make_mission("PAK", status="submitted")
        client.force_login(cast["hcss"])
        response = client.get(LIST_URL, {"status": "submitted"})
        assert listed(response) == {submitted.pk}
        assert draft.pk not in listed(response)
        assert response.context["status"] == "submitted"

    def test_unknown_status_filter_is_ignored_and_lists_everything(self, client, cast):
        missions = {make_mission("PAK", status=s).pk for s in ("draft", "submitted")}
        client.force_login(cast["rc_hc_pakistan"])
        response = client.get(LIST_URL, {"status": "no-such-status"})
        assert response.status_code == 200
        assert listed(response) == missions
        assert response.context["status"] == ""

    def test_anonymous_user_is_redirected_to_login(self, client, db):
        response = client.get(LIST_URL)
        assertRedirects(
            response, f"{reverse('login')}?next={LIST_URL}", fetch_redirect_response=False
        )

    def test_query_count_does_not_grow_with_the_number_of_missions(self, client, cast):
        client.force_login(cast["hcss"])
        client.get(LIST_URL)  # warm per-process caches (content types) before counting
        for index in range(5):
            make_mission("PAK" if index % 2 else "NPL", status="in_triage", complete=False)
        with CaptureQueriesContext(connection) as five:
            response = client.get(LIST_URL)
        assert len(listed(response)) == 5

        for index in range(45):
            make_mission("PAK" if index % 2 else "NPL", status="in_triage", complete=False)
        with CaptureQueriesContext(connection) as fifty:
            response = client.get(LIST_URL)
        assert len(listed(response)) == 50

        assert len(fifty) == len(five), "\n".join(q["sql"] for q in fifty.captured_queries)

    def test_the_rows_read_the_columns_the_list_shows_not_the_requests_texts(self, client, cast):
        make_mission("NPL", status="in_triage", title="Earthquake response")
        client.force_login(cast["hcss"])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST_URL)
        [rows] = [
            q["sql"] for q in queries if q["sql"].startswith('SELECT "missions_mission"."id"')
        ]
        for text in ("objectives", "issues", "deliverables", "triage_note"):
            assert f'"missions_mission"."{text}"' not in rows
        for shown in ("Earthquake response", "Nepal", "In triage"):
            assertContains(response, shown)


class TestMissionDetail:
    def test_shows_title_status_and_the_timeline_after_a_transition(
        self, client, cast, new_mission
    ):
        mission = new_mission("PAK", title="Pakistan flood coordination")
        mission_transition(mission, "submit", cast["rc_hc_pakistan"], comment="HCT agreed.")
        client.force_login(cast["rc_hc_pakistan"])
        response = client.get(detail_url(mission))
        assert response.status_code == 200
        assertContains(response, "<title>Pakistan flood coordination", count=1)
        assertContains(response, '<span class="badge submitted">Submitted</span>', html=True)
        assertContains(response, "<strong>Draft → Submitted</strong>", html=True)
        assertContains(response, "by rchc-pak")
        assertContains(response, "<q>HCT agreed.</q>", html=True)
        assertContains(response, "<dt>Requested by</dt><dd>rchc-pak</dd>", html=True)
        assertNotContains(response, "nothing has happened yet")

    def test_a_mission_with_no_requester_still_shows(self, client, cast):
        mission = make_mission("PAK", requested_by=None)
        client.force_login(cast["rc_hc_pakistan"])
        response = client.get(detail_url(mission))
        assertContains(response, "<dt>Requested by</dt><dd>—</dd>", html=True)

    def test_the_timeline_still_shows_a_step_taken_by_a_since_deleted_user(
        self, client, cast, new_mission
    ):
        mission = new_mission("PAK")
        departed = UserFactory(username="rchc-departed")
        role_grant(departed, Role.RC_HC, country=Country.objects.get(code="PAK"))
        mission_transition(mission, "submit", departed)
        departed.delete()
        client.force_login(cast["hcss"])
        response = client.get(detail_url(mission))
        assertContains(response, "<strong>Draft → Submitted</strong>", html=True)

    def test_a_mission_without_history_says_nothing_has_happened(self, client, cast, new_mission):
        mission = new_mission("PAK")
        client.force_login(cast["rc_hc_pakistan"])
        response = client.get(detail_url(mission))
        assertContains(response, "nothing has happened yet")

    def test_rc_hc_sees_an_enabled_submit_button_on_a_complete_draft(
        self, client, cast, new_mission
    ):
        mission = new_mission("PAK")
        client.force_login(cast["rc_hc_pakistan"])
        response = client.get(detail_url(mission))
        names = [t["name"] for t in response.context["transitions"]]
        assert names == ["submit", "cancel"]
        assertContains(
            response, '<button class="primary" type="submit">Submit the request</button>', html=True
        )
        assertContains(response, f'action="{transition_url(mission, "submit")}"')

    def test_rc_hc_sees_a_disabled_submit_button_and_what_is_missing_on_an_incomplete_draft(
        self, client, cast, new_mission
    ):
        mission = new_mission("PAK", objectives="")
        client.force_login(cast["rc_hc_pakistan"])
        response = client.get(detail_url(mission))
        assertContains(
            response,
            '<button class="primary" type="submit" disabled>Submit the request</button>',
            html=True,
        )
        assertContains(response, "<li>State the objectives of the mission.</li>", html=True)

    def test_hcss_sees_no_submit_button_on_a_draft(self, client, cast, new_mission):
        mission = returned(new_mission("PAK"))
        client.force_login(cast["hcss"])
        response = client.get(detail_url(mission))
        assert response.status_code == 200
        assert [t["name"] for t in response.context["transitions"]] == ["cancel"]
        assertNotContains(response, "Submit the request")
        assertNotContains(response, transition_url(mission, "submit"))

    def test_hcss_sees_the_triage_steps_on_a_submitted_mission(self, client, cast, new_mission):
        mission = new_mission("PAK", status="submitted")
        client.force_login(cast["hcss"])
        response = client.get(detail_url(mission))
        names = [t["name"] for t in response.context["transitions"]]
        assert names == ["start_triage", "return_for_revision", "cancel"]
        assertContains(response, "Start triage</button>")

    def test_hct_member_sees_the_mission_but_no_steps(self, client, cast, new_mission):
        mission = new_mission("PAK")
        client.force_login(cast["hct_pakistan"])
        response = client.get(detail_url(mission))
        assert response.status_code == 200
        assert response.context["transitions"] == []
        assertNotContains(response, "What you can do")
        assertNotContains(response, '<button class="primary"')

    def test_rc_hc_of_other_country_gets_404(self, client, cast, new_mission):
        mission = new_mission("PAK")
        client.force_login(cast["rc_hc_nepal"])
        response = client.get(detail_url(mission))
        assert response.status_code == 404

    def test_outsider_gets_404(self, client, cast, new_mission):
        mission = new_mission("PAK")
        client.force_login(cast["outsider"])
        assert client.get(detail_url(mission)).status_code == 404

    def test_non_existent_mission_gets_404(self, client, cast):
        client.force_login(cast["hcss"])
        response = client.get(reverse("missions:detail", args=[987654]))
        assert response.status_code == 404

    def test_anonymous_user_is_redirected_to_login(self, client, cast, new_mission):
        mission = new_mission("PAK")
        response = client.get(detail_url(mission))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


class TestTakingAStep:
    def test_rc_hc_submits_a_complete_draft(self, client, cast, new_mission):
        mission = new_mission("PAK")
        client.force_login(cast["rc_hc_pakistan"])
        response = client.post(
            transition_url(mission, "submit"),
            {"expected_status": "draft", "comment": "Agreed at the HCT."},
        )
        assertRedirects(response, detail_url(mission), fetch_redirect_response=False)
        assert status_of(mission) == "submitted"
        log = TransitionLog.objects.get(mission=mission)
        assert (log.transition, log.source, log.target) == ("submit", "draft", "submitted")
        assert log.user == cast["rc_hc_pakistan"]
        assert log.comment == "Agreed at the HCT."

    def test_after_a_step_the_page_says_what_happened(self, client, cast, new_mission):
        mission = new_mission("PAK", status="submitted")
        client.force_login(cast["hcss"])
        response = client.post(
            transition_url(mission, "start_triage"), {"expected_status": "submitted"}, follow=True
        )
        assertContains(response, "Done: the mission is now in triage.")
        assertContains(response, "<strong>Submitted → In triage</strong>", html=True)

    def test_rc_hc_of_other_country_gets_404_and_nothing_changes(self, client, cast, new_mission):
        mission = new_mission("PAK")
        client.force_login(cast["rc_hc_nepal"])
        response = client.post(transition_url(mission, "submit"), {"expected_status": "draft"})
        assert response.status_code == 404
        assert status_of(mission) == "draft"
        assert not TransitionLog.objects.filter(mission=mission).exists()

    def test_hct_member_without_permission_gets_the_page_back_and_nothing_changes(
        self, client, cast, new_mission
    ):
        mission = new_mission("PAK")
        client.force_login(cast["hct_pakistan"])
        response = client.post(transition_url(mission, "submit"), {"expected_status": "draft"})
        assert response.status_code == 403
        assert response.context["mission"].pk == mission.pk
        assert status_of(mission) == "draft"
        assert not TransitionLog.objects.filter(mission=mission).exists()

    def test_hct_member_without_permission_is_told_they_may_not_take_the_step(
        self, client, cast, new_mission
    ):
        mission = new_mission("PAK")
        client.force_login(cast["hct_pakistan"])
        response = client.post(transition_url(mission, "submit"), {"expected_status": "draft"})
        assertContains(response, "You may not take the step", status_code=403)

    def test_hcss_without_the_submit_permission_is_told_so_and_nothing_changes(
        self, client, cast, new_mission
    ):
        mission = returned(new_mission("PAK"))
        client.force_login(cast["hcss"])
        response = client.post(transition_url(mission, "submit"), {"expected_status": "draft"})
        assertContains(response, "You may not take the step", status_code=403)
        # The step is named in the message.
        assertContains(response, "Submit the request", status_code=403)
        assert status_of(mission) == "draft"
        assert not TransitionLog.objects.filter(mission=mission).exists()

    def test_get_on_a_transition_url_is_405(self, client, cast, new_mission):
        mission = new_mission("PAK")
        client.force_login(cast["rc_hc_pakistan"])
        response = client.get(transition_url(mission, "submit"))
        assert response.status_code == 405
        assert status_of(mission) == "draft"

    def test_unknown_transition_name_is_404(self, client, cast, new_mission):
        mission = new_mission("PAK")
        client.force_login(cast["rc_hc_pakistan"])
        response = client.post(transition_url(mission, "delete"), {"expected_status": "draft"})
        assert response.status_code == 404
        assert status_of(mission) == "draft"

    def test_anonymous_post_is_redirected_to_login_and_nothing_changes(
        self, client, cast, new_mission
    ):
        mission = new_mission("PAK")
        response = client.post(transition_url(mission, "submit"), {"expected_status": "draft"})
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
        assert status_of(mission) == "draft"

    def test_decline_without_reason_shows_the_error_at_the_reason_and_keeps_the_comment(
        self, client, cast, new_mission
    ):
        mission = new_mission("PAK", status="with_task_team")
        client.force_login(cast["task_team"])
        response = client.post(
            transition_url(mission, "decline"),
            {"expected_status": "with_task_team", "reason": "  ", "comment": "Discussed today."},
        )
        assert response.status_code == 200
        assertContains(
            response,
            '<p class="error-text" id="reason-decline-error">Give a reason.</p>',
            html=True,
        )
        assertContains(response, 'aria-describedby="reason-decline-error"')
        assertContains(
            response,
            '<textarea name="comment" id="comment-decline">Discussed today.</textarea>',
            html=True,
        )
        # The other steps' forms are not marked, nor filled with what was typed.
        assertNotContains(response, 'id="reason-defer-error"')
        assertContains(
            response, '<textarea name="comment" id="comment-approve"></textarea>', html=True
        )
        assert status_of(mission) == "with_task_team"
        assert not TransitionLog.objects.filter(mission=mission).exists()

    def test_stale_expected_status_says_the_mission_changed_and_changes_nothing(
        self, client, cast, new_mission
    ):
        # The RC/HC opened the draft; meanwhile it was submitted. Their 'cancel' was meant
        # for the draft they saw, so it must not go through on the submitted request.
        mission = new_mission("PAK")
        mission_transition(mission, "submit", cast["rc_hc_pakistan"])
        client.force_login(cast["rc_hc_pakistan"])
        response = client.post(
            transition_url(mission, "cancel"),
            {"expected_status": "draft", "reason": "No longer needed."},
        )
        assert response.status_code == 200
        assertContains(response, "Someone changed this mission while you were looking at it")
        assertContains(response, "it is now submitted")
        assert status_of(mission) == "submitted"
        assert list(mission.log.values_list("transition", flat=True)) == ["submit"]

    def test_submitting_an_incomplete_draft_lists_what_is_missing(self, client, cast, new_mission):
        mission = new_mission("PAK", objectives="", hct_endorsed_on=None)
        client.force_login(cast["rc_hc_pakistan"])
        response = client.post(transition_url(mission, "submit"), {"expected_status": "draft"})
        assert response.status_code == 200
        assertContains(response, "needs more first")
        assertContains(response, "<li>State the objectives of the mission.</li>", html=True)
        assertContains(response, "<li>Give the date the HCT agreed to the request.</li>", html=True)
        assert status_of(mission) == "draft"
        assert not TransitionLog.objects.filter(mission=mission).exists()


@pytest.mark.django_db
class TestStatesReadByTheirProperNames:
    def test_a_forwarded_request_is_now_with_the_task_team(self):
        assert make_mission("PAK", status="in_triage").status_label == "In triage"
        mission = make_mission("PAK", status="with_task_team")
        assert mission.status_in_sentence == "with the Task Team"

    def test_a_returned_request_reads_returned_for_revision_not_draft(self, client, cast):
        mission = make_mission("PAK", status="in_triage")
        mission_transition(mission, "return_for_revision", cast["hcss"], reason="Which districts?")
        mission.refresh_from_db()
        assert mission.status_label == "Returned for revision"
        client.force_login(cast["rc_hc_pakistan"])
        listed = client.get("/missions/").content.decode()
        assert '<span class="badge draft">Returned for revision</span>' in listed
        assert "Returned for revision" in client.get(f"/missions/{mission.pk}/").content.decode()


@pytest.mark.django_db
class TestDraftsNeverSubmittedAreTheCountrysAlone:
    def test_global_roles_do_not_see_a_draft_until_it_is_submitted(self, cast):
        from missions.selectors.missions import missions_visible_to

        mission = make_mission("PAK")
        for who in ("hcss", "task_team", "gcc"):
            assert not missions_visible_to(cast[who]).filter(pk=mission.pk).exists(), who
        for who in ("rc_hc_pakistan", "hct_pakistan"):
            assert missions_visible_to(cast[who]).filter(pk=mission.pk).exists(), who

        mission_transition(mission, "submit", cast["rc_hc_pakistan"])
        assert missions_visible_to(cast["hcss"]).filter(pk=mission.pk).exists()
        mission_transition(mission, "start_triage", cast["hcss"])
        mission_transition(mission, "return_for_revision", cast["hcss"], reason="Which districts?")
        # Returned for revision: a draft again, still in HCSS's sight.
        assert missions_visible_to(cast["hcss"]).filter(pk=mission.pk).exists()

    def test_an_unsubmitted_draft_is_a_404_for_hcss(self, client, cast):
        mission = make_mission("PAK")
        client.force_login(cast["hcss"])
        assert client.get(f"/missions/{mission.pk}/").status_code == 404
        assert mission.title not in client.get("/missions/").content.decode()


@pytest.mark.django_db
class TestGlobalRolesSeeByRule:
    def test_a_new_mission_writes_no_permission_rows_for_the_global_roles(self, cast):
        from missions.models import MissionGroupObjectPermission

        mission = make_mission("PAK")
        groups = set(
            MissionGroupObjectPermission.objects.filter(content_object=mission).values_list(
                "group__name", flat=True
            )
        )
        assert groups and all(":country=" in name for name in groups)
        # As many rows whatever the number of global-role users and groups.
        for index in range(5):
            role_grant(UserFactory(username=f"hcss-{index}"), Role.HCSS)
        again = make_mission("NPL")
        assert (
            MissionGroupObjectPermission.objects.filter(content_object=again).count()
            == MissionGroupObjectPermission.objects.filter(content_object=mission).count()
        )

    def test_a_global_roles_list_reads_no_permission_table(self, client, cast):
        make_mission("PAK", status="submitted")
        client.force_login(cast["task_team"])
        client.get(LIST_URL)
        with CaptureQueriesContext(connection) as queries:
            client.get(LIST_URL)
        mission_queries = [q["sql"] for q in queries if "missions_mission" in q["sql"]]
        assert mission_queries
        assert not any("objectpermission" in sql.lower() for sql in mission_queries)

    def test_global_roles_hold_their_steps_by_rule(self, cast):
        from missions.workflow import holds

        mission = make_mission("NPL", status="submitted")
        assert holds(cast["hcss"], "triage_mission", mission)
        assert not holds(cast["hcss"], "decide_mission", mission)
        assert holds(cast["task_team"], "decide_mission", mission)
        assert holds(cast["gcc"], "plan_mission", mission)
        assert not holds(cast["gcc"], "submit_mission", mission)
        assert not holds(cast["hcss"], "triage_mission", make_mission("NPL"))  # never submitted


def test_a_mission_is_read_without_the_one_it_follows_until_a_page_shows_it(client, cast):
    parent = make_mission("PAK", status="closed", title="The first mission")
    mission = make_mission("PAK", status="submitted", parent=parent)
    with CaptureQueriesContext(connection) as read:
        found = get_mission_for(cast["hcss"], mission.pk)
    assert found == mission
    assert all('JOIN "missions_mission"' not in q["sql"] for q in read.captured_queries)
    client.force_login(cast["hcss"])
    assertContains(client.get(reverse("missions:detail", args=[mission.pk])), "The first mission")


class TestObjectPermissionsReadOncePerRequest:
    def test_the_checks_on_one_mission_read_its_permissions_once(self, cast):
        from missions.workflow import holds

        mission = make_mission("PAK", status="submitted")
        rc_hc = cast["rc_hc_pakistan"]
        with CaptureQueriesContext(connection) as first:
            assert holds(rc_hc, "view_mission", mission)
            assert not holds(rc_hc, "decide_mission", mission)
        with CaptureQueriesContext(connection) as after:
            assert holds(rc_hc, "submit_mission", mission)
            assert holds(rc_hc, "endorse_mission", mission)
            assert not holds(rc_hc, "decide_mission", mission)
            assert not holds(rc_hc, "plan_mission", mission)
        # The user's rows and their groups' in one query (guardian reads them in two).
        (permissions,) = [
            q["sql"] for q in first.captured_queries if "objectpermission" in q["sql"]
        ]
        assert "missionuserobjectpermission" in permissions and "UNION" in permissions
        assert "missiongroupobjectpermission" in permissions
        assert len(after) == 0

    def test_a_permission_granted_in_the_same_request_is_seen(self, cast):
        from missions.services.permissions import mission_leader_appoint, team_member_revoke
        from missions.workflow import holds

        mission = make_mission("PAK", status="in_planning")
        member = UserFactory(username="newly-appointed")
        assert not holds(member, "lead_mission", mission)
        mission_leader_appoint(mission, member)
        assert holds(member, "lead_mission", mission)
        team_member_revoke(type("N", (), {"participant_id": member.pk, "mission_id": mission.pk}))
        assert not holds(member, "lead_mission", mission)

    def test_the_users_own_rows_are_read_once_and_again_after_a_change(self, cast):
        """The scopes of the team, the leader and the follow-up take the user's own
        permission rows as values, read once on the user object: a grant or a revocation
        is seen at once, on the same object."""
        from missions.selectors.followup import action_points_visible_to
        from missions.selectors.missions import (
            has_served,
            missions_led_by,
            missions_on_team_of,
        )
        from missions.services.permissions import mission_leader_appoint, team_member_revoke

        mission = make_mission("PAK", status="in_planning")
        member = UserFactory(username="newly-on-a-team")
        assert not has_served(member)
        with CaptureQueriesContext(connection) as none_held:
            assert list(missions_on_team_of(member)) == []
            assert list(action_points_visible_to(member).filter(mission=mission)) == []
        # Nothing held: no mission query at all, and no re-read of the rows.
        assert not any('FROM "missions_mission"' in q["sql"] for q in none_held.captured_queries)
        assert not any("objectpermission" in q["sql"] for q in none_held.captured_queries)
        mission_leader_appoint(mission, member)
        assert has_served(member)
        with CaptureQueriesContext(connection) as held:
            assert list(missions_led_by(member)) == [mission]
            assert list(missions_on_team_of(member)) == [mission]
        own_reads = [
            q["sql"]
            for q in held.captured_queries
            if q["sql"].startswith('SELECT "missions_missionuserobjectpermission"')
        ]
        assert own_reads == [], "read once, after the grant, by has_served"
        assert all(f"IN ({mission.pk})" in q["sql"] for q in held.captured_queries)
        team_member_revoke(type("N", (), {"participant_id": member.pk, "mission_id": mission.pk}))
        assert not has_served(member)
        assert list(missions_led_by(member)) == []

    def test_a_role_granted_in_the_same_request_is_seen(self, cast):
        from missions.workflow import holds

        mission = make_mission("NPL", status="submitted")
        user = UserFactory(username="new-rc-hc")
        assert not holds(user, "submit_mission", mission)
        role_grant(user, Role.RC_HC, country=Country.objects.get(code="NPL"))
        assert holds(user, "submit_mission", mission)


def test_a_global_role_sees_no_draft_never_submitted_but_its_own_countrys(client, cast):
    """Without a country of its own, the scope reads no role table (no subquery on each list
    and count); with one, that country's drafts are its own."""
    never_submitted = make_mission("PAK", status="draft")
    sent_back = returned(make_mission("PAK", status="draft"))
    submitted = make_mission("NPL", status="submitted")
    hcss = cast["hcss"]
    client.force_login(hcss)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL)
    assert listed(response) == {sent_back.pk, submitted.pk}
    scoped = [q["sql"] for q in queries if 'FROM "missions_mission"' in q["sql"]]
    assert scoped and not any("clusters_roleassignment" in sql for sql in scoped)
    role_grant(hcss, Role.RC_HC, country=Country.objects.get(code="PAK"))
    response = client.get(LIST_URL)
    assert listed(response) == {never_submitted.pk, sent_back.pk, submitted.pk}


def test_a_country_roles_list_reads_its_permission_rows_by_index(client, cast):
    """Its groups' rows, looked up by the groups' ids (read once with the user's own rows);
    with rows of its own too, a UNION of two indexed lookups (an OR of them makes the
    database test every mission), and the list the same as before."""
    from missions.services.permissions import mission_leader_appoint

    pakistan = make_mission("PAK", status="submitted")
    nepal = make_mission("NPL", status="submitted")
    rc_hc = cast["rc_hc_pakistan"]
    client.force_login(rc_hc)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL)
    assert listed(response) == {pakistan.pk}
    scoped = [q["sql"] for q in queries if 'FROM "missions_mission"' in q["sql"]]
    assert scoped
    for sql in scoped:
        assert '"group_id" IN (' in sql and "auth_user_groups" not in sql, sql
        assert "UNION" not in sql and " OR " not in sql, sql
    mission_leader_appoint(nepal, rc_hc)  # a mission of their own beside their country's
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL)
    assert listed(response) == {pakistan.pk, nepal.pk}
    scoped = [q["sql"] for q in queries if 'FROM "missions_mission"' in q["sql"]]
    assert scoped and all("UNION" in sql and " OR " not in sql for sql in scoped)
    assert not any(
        "objectpermission" in sql.split("UNION")[0].split("WHERE", 1)[0] for sql in scoped
    )


def test_who_is_in_no_group_sees_their_missions_by_value(client, cast):
    """A leader with no role (no group): the missions they hold rows on, by their ids, with
    no subquery of the permission tables; nothing held, no query of the missions."""
    from missions.selectors.missions import missions_visible_to
    from missions.services.permissions import mission_leader_appoint

    mission = make_mission("PAK", status="in_planning")
    make_mission("NPL", status="submitted")
    leader = UserFactory(username="leader-without-role")
    with CaptureQueriesContext(connection) as nothing:
        assert list(missions_visible_to(leader)) == []
    assert not any('FROM "missions_mission"' in q["sql"] for q in nothing.captured_queries)
    mission_leader_appoint(mission, leader)
    with CaptureQueriesContext(connection) as queries:
        assert list(missions_visible_to(leader)) == [mission]
    (scoped,) = [
        q["sql"] for q in queries.captured_queries if 'FROM "missions_mission"' in q["sql"]
    ]
    assert f'"missions_mission"."id" IN ({mission.pk})' in scoped
    assert "objectpermission" not in scoped and "UNION" not in scoped


# The country's commitments picture, kept rendered by the mission page ---------------------------


@pytest.fixture
def pakistan_picture(client, cast):
    """A mission to Pakistan, HCSS signed in to see it, and Pakistan's health cluster in a
    round where two of four organisations have submitted (not enough to show figures yet)."""
    from tests.commitments.factories import coordinator_of, fill_round, make_cluster, open_round

    mission = make_mission("PAK", title="Pakistan flood coordination", status="submitted")
    cluster, _orgs = make_cluster("PAK", "health")
    round_ = open_round(cluster, coordinator_of(cluster, "coord-pak"))
    fill_round(round_, [("M" * 11, "M" * 5)] * 2)
    client.force_login(cast["hcss"])
    return detail_url(mission), cluster, round_


def test_the_mission_page_keeps_the_country_picture_and_shows_a_submission_at_once(
    client, pakistan_picture
):
    from tests.commitments.factories import fill, partner_of, submit_through_service

    page, cluster, round_ = pakistan_picture
    assessments = list(round_.assessments.order_by("organisation__name"))
    fill(assessments[2])
    assertContains(client.get(page), "3 of 4 partner organisations answered")
    # Kept: the next view reads none of the picture's rows.
    with CaptureQueriesContext(connection) as queries:
        assertContains(client.get(page), "3 of 4 partner organisations answered")
    assert not [q["sql"] for q in queries if "commitments_answer" in q["sql"]]
    # The last organisation submits: the next view shows the picture it makes.
    last = assessments[3]
    submit_through_service(last, partner_of(cluster, last.organisation, "partner-last"))
    assertContains(client.get(page), "4 of 4 partner organisations answered")


def test_the_mission_page_shows_a_round_opened_since_it_kept_the_picture(client, pakistan_picture):
    from tests.commitments.factories import coordinator_of, make_cluster, open_round

    page, _cluster, _round = pakistan_picture
    assertNotContains(client.get(page), "Water, Sanitation")
    wash, _orgs = make_cluster("PAK", "wash")
    open_round(wash, coordinator_of(wash, "coord-wash"))
    assertContains(client.get(page), "Water, Sanitation")


def test_the_kept_country_picture_is_kept_in_each_language(client, pakistan_picture):
    from django.conf import settings

    page, _cluster, _round = pakistan_picture
    assertContains(client.get(page), "1 round so far")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assertContains(client.get(page), "1 cycle à ce jour")


def test_the_mission_page_makes_the_picture_again_when_the_cache_cannot_be_reached(
    client, pakistan_picture, settings, caplog
):
    page, _cluster, _round = pakistan_picture
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1",  # nothing listens there
        }
    }
    assertContains(client.get(page), "1 round so far")
    assert "The cache cannot be reached" in caplog.text
