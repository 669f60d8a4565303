"""HCSS's triage queue and dashboard in the admin."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from clusters.models import Country
from clusters.services import hcss_admin_group
from missions.models import Mission, TransitionLog
from missions.services.intake import MissionChanged, mission_version
from missions.services.mission import mission_transition
from missions.services.triage import triage_note_save
from missions.workflow import MissionNotFound
from tests.factories import UserFactory, make_mission
from tests.missions.admin_helpers import listed, messages_of, status_of

QUEUE_URL = reverse("admin:missions_triagerequest_changelist")
DASHBOARD_URL = reverse("admin:missions_dashboard")


def change_url(mission) -> str:
    return reverse("admin:missions_triagerequest_change", args=[mission.pk])


def step_url(mission, name: str) -> str:
    return reverse("admin:missions_triagerequest_transition", args=[mission.pk, name])


def submitted(days_ago: float, country: str = "PAK", **fields) -> Mission:
    """A submitted request, submitted `days_ago` days ago."""
    mission = make_mission(country, status=fields.pop("status", "submitted"), **fields)
    Mission.objects.filter(pk=mission.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    mission.refresh_from_db()
    return mission


def waiting_cell(response, mission) -> str:
    """The 'Days waiting' cell of the mission's row in the queue."""
    html = response.content.decode()
    row = re.search(rf'<tr>(?:(?!</tr>).)*?value="{mission.pk}"(?:(?!</tr>).)*</tr>', html, re.S)
    assert row, f"no row for {mission}"
    cell = re.search(r'<td class="field-waiting">(.*?)</td>', row.group(0), re.S)
    return cell.group(1)


@pytest.fixture(autouse=True)
def target_of_ten_days(settings):
    settings.ICSM_TRIAGE_TARGET_DAYS = 10


@pytest.fixture
def staff_without_role(db):
    """Staff with the admin group's model permissions, but no role: no mission in scope."""
    user = UserFactory(username="staff-no-role", is_staff=True)
    user.groups.add(hcss_admin_group())
    return user


@pytest.fixture
def staff_for_pakistan(cast):
    """The RC/HC of Pakistan given the admin's model permissions: scope is still Pakistan."""
    user = cast["rc_hc_pakistan"]
    user.is_staff = True
    user.save()
    user.groups.add(hcss_admin_group())
    return user


class TestQueue:
    def test_lists_only_requests_submitted_or_in_triage(self, client, cast):
        queue = {submitted(1), submitted(2, "NPL", status="in_triage")}
        for status in ("draft", "with_task_team", "approved", "cancelled"):
            make_mission("PAK", status=status)
        client.force_login(cast["hcss"])
        response = client.get(QUEUE_URL)
        assert response.status_code == 200
        assert listed(response) == {m.pk for m in queue}

    def test_oldest_request_comes_first(self, client, cast):
        newer, older = submitted(1), submitted(20)
        client.force_login(cast["hcss"])
        response = client.get(QUEUE_URL)
        assert [m.pk for m in response.context["cl"].result_list] == [older.pk, newer.pk]

    def test_shows_title_country_type_status_and_days_waiting(self, client, cast):
        mission = submitted(3, title="Flood response coordination")
        client.force_login(cast["hcss"])
        response = client.get(QUEUE_URL)
        for heading in ("Title", "Country", "Type", "Status", "Days waiting"):
            assertContains(response, heading)
        assertContains(response, "Flood response coordination")
        assertContains(response, "Pakistan")
        assertContains(response, "Specific issues")
        assertContains(response, "Submitted")
        assert waiting_cell(response, mission).strip() == "3 days"

    def test_a_request_over_the_target_carries_a_written_warning(self, client, cast):
        late, on_time = submitted(15), submitted(10.5)
        client.force_login(cast["hcss"])
        response = client.get(QUEUE_URL)

        cell = waiting_cell(response, late)
        assert "15 days, over the 10-day target" in cell
        assert "⚠" in cell
        assert 'class="icsm-overdue"' in cell
        # Ten whole days is on target: the warning starts after the tenth day.
        assert waiting_cell(response, on_time).strip() == "10 days"

    def test_the_target_comes_from_the_setting(self, client, cast, settings):
        settings.ICSM_TRIAGE_TARGET_DAYS = 2
        mission = submitted(3)
        client.force_login(cast["hcss"])
        response = client.get(QUEUE_URL)
        assert "over the 2-day target" in waiting_cell(response, mission)

    def test_a_request_without_submission_date_shows_a_dash(self, client, cast):
        mission = make_mission("PAK", status="in_triage", submitted_at=None)
        client.force_login(cast["hcss"])
        response = client.get(QUEUE_URL)
        assert waiting_cell(response, mission).strip() == "—"

    def test_filters_by_status(self, client, cast):
        new = submitted(1)
        in_triage = submitted(2, status="in_triage")
        client.force_login(cast["hcss"])
        assert listed(client.get(QUEUE_URL, {"status": "submitted"})) == {new.pk}
        assert listed(client.get(QUEUE_URL, {"status": "in_triage"})) == {in_triage.pk}
        # The filter offers the two states of the queue, not the whole lifecycle.
        response = client.get(QUEUE_URL)
        (status_filter,) = [f for f in response.context["cl"].filter_specs if f.title == "status"]
        assert [value for value, _ in status_filter.lookup_choices] == ["submitted", "in_triage"]

    @pytest.mark.parametrize("answer, expected", [("yes", {"late"}), ("no", {"fresh", "undated"})])
    def test_filters_by_waiting_too_long(self, client, cast, answer, expected):
        requests = {
            "late": submitted(11),
            "fresh": submitted(10.5),
            "undated": make_mission("PAK", status="in_triage"),
        }
        client.force_login(cast["hcss"])
        response = client.get(QUEUE_URL, {"overdue": answer})
        assert response.status_code == 200
        assert listed(response) == {requests[key].pk for key in expected}

    def test_country_filter_offers_only_countries_in_the_queue(self, client, cast):
        submitted(1, "PAK")
        submitted(1, "NPL")
        make_mission("COL", status="approved")  # Colombia has a mission, but none to triage
        client.force_login(cast["hcss"])
        response = client.get(QUEUE_URL)
        (country_filter,) = [f for f in response.context["cl"].filter_specs if f.title == "country"]
        assert sorted(name for _, name in country_filter.lookup_choices) == ["Nepal", "Pakistan"]

    def test_filters_by_country_and_type(self, client, cast):
        pak = submitted(1, "PAK", mission_type=Mission.Type.DIAGNOSTIC)
        npl = submitted(1, "NPL")
        client.force_login(cast["hcss"])
        nepal = Country.objects.get(code="NPL")
        assert listed(client.get(QUEUE_URL, {"country__id__exact": nepal.pk})) == {npl.pk}
        assert listed(client.get(QUEUE_URL, {"mission_type__exact": "diagnostic"})) == {pak.pk}

    @pytest.mark.parametrize("term", ["earthquake", "Nepal", "NPL"])
    def test_searches_by_title_and_country(self, client, cast, term):
        submitted(1, "PAK", title="Flood response")
        npl = submitted(1, "NPL", title="Earthquake response")
        client.force_login(cast["hcss"])
        assert listed(client.get(QUEUE_URL, {"q": term})) == {npl.pk}

    def test_links_to_the_dashboard(self, client, cast):
        client.force_login(cast["hcss"])
        assertContains(client.get(QUEUE_URL), f'href="{DASHBOARD_URL}"')

    def test_query_count_does_not_grow_with_the_number_of_requests(self, client, cast):
        client.force_login(cast["hcss"])
        client.get(QUEUE_URL)  # warm per-process caches (content types) before counting
        for index in range(5):
            submitted(index * 3, "PAK" if index % 2 else "NPL")
        with CaptureQueriesContext(connection) as five:
            response = client.get(QUEUE_URL)
        assert len(listed(response)) == 5

        for index in range(45):
            submitted(index, "PAK" if index % 2 else "NPL", status="in_triage")
        with CaptureQueriesContext(connection) as fifty:
            response = client.get(QUEUE_URL)
        assert len(listed(response)) == 50

        assert len(fifty) == len(five), "\n".join(q["sql"] for q in fifty.captured_queries)

    def test_the_queue_is_read_from_the_missions_once_with_the_columns_it_shows(self, client, cast):
        """The scope is built on the queue's own class: no second reading of the missions to
        match the queue to the ids in scope."""
        waiting = submitted(3, "NPL", title="Flood response")
        client.force_login(cast["hcss"])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(QUEUE_URL)
        assert listed(response) == {waiting.pk}
        [rows] = [
            q["sql"] for q in queries if q["sql"].startswith('SELECT "missions_mission"."id"')
        ]
        assert rows.count('FROM "missions_mission"') == 1
        assert '"missions_mission"."objectives"' not in rows
        assertContains(response, "Flood response")

    def test_staff_without_a_role_sees_an_empty_queue(self, client, staff_without_role, cast):
        submitted(20)
        client.force_login(staff_without_role)
        response = client.get(QUEUE_URL)
        assert response.status_code == 200
        assert listed(response) == set()

    def test_a_country_scoped_staff_user_sees_only_that_countrys_requests(
        self, client, staff_for_pakistan
    ):
        pak, _ = submitted(1, "PAK"), submitted(1, "NPL")
        client.force_login(staff_for_pakistan)
        assert listed(client.get(QUEUE_URL)) == {pak.pk}

    @pytest.mark.parametrize("url", [QUEUE_URL, DASHBOARD_URL])
    def test_non_staff_user_is_redirected_to_the_admin_login(self, client, cast, url):
        client.force_login(cast["rc_hc_pakistan"])
        response = client.get(url)
        assertRedirects(
            response, f"{reverse('admin:login')}?next={url}", fetch_redirect_response=False
        )

    @pytest.mark.parametrize("url", [QUEUE_URL, DASHBOARD_URL])
    def test_anonymous_user_is_redirected_to_the_admin_login(self, client, db, url):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))

    def test_requests_cannot_be_added_or_deleted_here(self, client, cast):
        mission = submitted(1)
        client.force_login(cast["hcss"])
        assert client.get(reverse("admin:missions_triagerequest_add")).status_code == 403
        delete = reverse("admin:missions_triagerequest_delete", args=[mission.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert Mission.objects.filter(pk=mission.pk).exists()


class TestStartTriageAction:
    def run_action(self, client, missions):
        return client.post(
            QUEUE_URL,
            {"action": "start_triage", "_selected_action": [m.pk for m in missions]},
        )

    def test_each_row_has_the_checkbox_the_action_reads(self, client, cast):
        first = submitted(3)
        client.force_login(cast["hcss"])
        response = client.get(QUEUE_URL)
        assertContains(
            response,
            f'<input type="checkbox" name="_selected_action" value="{first.pk}" '
            f'class="action-select" aria-label="Select this object for an action - {first}">',
            html=True,
        )
        assertContains(response, 'id="action-toggle"', count=1)

    def test_moves_the_selected_submitted_requests_through_the_runner(self, client, cast):
        first, second = submitted(3), submitted(2, "NPL")
        client.force_login(cast["hcss"])
        response = self.run_action(client, [first, second])
        assert response.status_code == 302

        for mission in (first, second):
            assert status_of(mission) == "in_triage"
            log = TransitionLog.objects.get(mission=mission)
            assert (log.transition, log.source, log.target) == (
                "start_triage",
                "submitted",
                "in_triage",
            )
            assert log.user == cast["hcss"]
        assert "Triage started on 2 requests." in messages_of(response)

    def test_reports_the_requests_it_could_not_move_and_why(self, client, cast):
        waiting = submitted(3, title="Waiting request")
        taken = submitted(5, status="in_triage", title="Already in triage")
        client.force_login(cast["hcss"])
        response = self.run_action(client, [waiting, taken])

        assert status_of(waiting) == "in_triage"
        assert status_of(taken) == "in_triage"
        assert not TransitionLog.objects.filter(mission=taken).exists()
        messages = messages_of(response)
        assert "Triage started on 1 request." in messages
        assert (
            "'Already in triage' was not moved: "
            "That step is not possible while the mission is in triage."
        ) in messages

    def test_nothing_moved_says_only_what_was_refused(self, client, cast):
        taken = submitted(5, status="in_triage", title="Already in triage")
        client.force_login(cast["hcss"])
        messages = messages_of(self.run_action(client, [taken]))
        assert len(messages) == 1
        assert messages[0].startswith("'Already in triage' was not moved")

    def test_staff_without_a_role_moves_nothing(self, client, staff_without_role, cast):
        mission = submitted(3)
        client.force_login(staff_without_role)
        self.run_action(client, [mission])
        assert status_of(mission) == "submitted"
        assert not TransitionLog.objects.exists()


class TestChangePage:
    def test_lists_the_requests_documents(self, client, cast):
        from missions.models import Attachment

        mission = submitted(2, status="in_triage")
        Attachment.objects.create(
            mission=mission,
            kind=Attachment.Kind.CONCEPT_NOTE,
            file="attachments/note.pdf",
            original_name="concept-note.pdf",
            content_type="application/pdf",
            size=900,
        )
        client.force_login(cast["hcss"])
        page = client.get(change_url(mission)).content.decode()
        assert "concept-note.pdf" in page
        assert (
            reverse("missions:attachment", args=[mission.pk, mission.attachments.get().pk]) in page
        )

    def test_shows_the_request_read_only_and_the_triage_note_editable(self, client, cast):
        mission = submitted(2, status="in_triage")
        client.force_login(cast["hcss"])
        response = client.get(change_url(mission))
        assert response.status_code == 200
        assert list(response.context["adminform"].form.fields) == [
            "triage_note",
            "expected_updated_at",
        ]
        assertContains(response, mission.objectives)
        assertContains(response, "2 days")

    def test_saves_the_triage_note(self, client, cast):
        mission = submitted(2, status="in_triage", triage_note="", title="Keep me")
        client.force_login(cast["hcss"])
        response = client.post(
            change_url(mission),
            {
                "triage_note": "Complete; HCT minutes attached.",
                "expected_updated_at": mission_version(mission),
                "log-TOTAL_FORMS": "0",
                "log-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 302
        mission.refresh_from_db()
        assert mission.triage_note == "Complete; HCT minutes attached."
        assert mission.title == "Keep me"
        assert mission.status == "in_triage"

    def test_offers_the_triage_steps_only(self, client, cast):
        client.force_login(cast["hcss"])
        new = submitted(1)
        names = [t["name"] for t in client.get(change_url(new)).context["transitions"]]
        assert names == ["start_triage", "return_for_revision"]

        in_triage = submitted(1, status="in_triage")
        response = client.get(change_url(in_triage))
        assert [t["name"] for t in response.context["transitions"]] == [
            "return_for_revision",
            "forward",
        ]
        assertContains(response, f'action="{step_url(in_triage, "forward")}"')
        assertContains(
            response,
            '<label for="reason-return_for_revision">Questions for the RC/HC office</label>',
            html=True,
        )
        assertNotContains(response, "Cancel the mission")

    def test_start_triage_from_the_change_page(self, client, cast):
        mission = submitted(1)
        client.force_login(cast["hcss"])
        response = client.post(step_url(mission, "start_triage"), {"expected_status": "submitted"})
        assertRedirects(response, change_url(mission), fetch_redirect_response=False)
        assert status_of(mission) == "in_triage"
        assert TransitionLog.objects.get(mission=mission).user == cast["hcss"]

    def test_return_for_revision_sends_the_questions_back_to_draft(self, client, cast):
        mission = submitted(4, status="in_triage")
        questions = "Which districts? When did the HCT agree?"
        client.force_login(cast["hcss"])
        response = client.post(
            step_url(mission, "return_for_revision"),
            {"expected_status": "in_triage", "reason": questions},
        )
        # The request has left the queue: back to the queue, not to a page that is now 404.
        assertRedirects(response, QUEUE_URL, fetch_redirect_response=False)
        assert status_of(mission) == "draft"
        assert mission.revision_questions == questions
        log = TransitionLog.objects.get(mission=mission)
        assert (log.transition, log.reason, log.user) == (
            "return_for_revision",
            questions,
            cast["hcss"],
        )

    def test_return_for_revision_without_questions_is_refused(self, client, cast):
        mission = submitted(4, status="in_triage")
        client.force_login(cast["hcss"])
        response = client.post(
            step_url(mission, "return_for_revision"),
            {"expected_status": "in_triage", "reason": "  "},
            follow=True,
        )
        assert response.redirect_chain == [(change_url(mission), 302)]
        assert status_of(mission) == "in_triage"
        assertContains(response, "Give a reason.")

    def test_forward_without_a_triage_note_is_refused_and_changes_nothing(self, client, cast):
        mission = submitted(4, status="in_triage", triage_note="")
        client.force_login(cast["hcss"])
        response = client.post(
            step_url(mission, "forward"), {"expected_status": "in_triage"}, follow=True
        )
        assert response.redirect_chain == [(change_url(mission), 302)]
        assert status_of(mission) == "in_triage"
        assert not TransitionLog.objects.filter(mission=mission).exists()
        assertContains(response, "needs more first")
        assertContains(response, "Write a triage note confirming the request is complete.")

    def test_forward_with_a_triage_note_goes_to_the_task_team(self, client, cast):
        mission = submitted(4, status="in_triage", triage_note="Complete.")
        client.force_login(cast["hcss"])
        response = client.post(step_url(mission, "forward"), {"expected_status": "in_triage"})
        assertRedirects(response, QUEUE_URL, fetch_redirect_response=False)
        assert status_of(mission) == "with_task_team"
        assert TransitionLog.objects.get(mission=mission).transition == "forward"
        assert "now with the Task Team" in " ".join(messages_of(response))

    def test_a_step_the_queue_does_not_offer_is_404(self, client, cast):
        mission = submitted(1)
        client.force_login(cast["hcss"])
        response = client.post(step_url(mission, "cancel"), {"reason": "No longer needed."})
        assert response.status_code == 404
        assert status_of(mission) == "submitted"

    def test_a_request_that_left_the_queue_is_404_here(self, client, cast):
        mission = make_mission("PAK", status="approved")
        client.force_login(cast["hcss"])
        assert client.get(change_url(mission)).status_code == 404

    def test_staff_without_a_role_gets_404(self, client, staff_without_role, cast):
        mission = submitted(1)
        client.force_login(staff_without_role)
        assert client.get(change_url(mission)).status_code == 404
        missing = reverse("admin:missions_triagerequest_change", args=[987654])
        assert client.get(missing).status_code == 404
        response = client.post(step_url(mission, "start_triage"), {"expected_status": "submitted"})
        assert response.status_code == 404
        assert status_of(mission) == "submitted"


class TestTriageNote:
    """The triage note: HCSS's own field, saved through the triage service."""

    def page(self, client, mission) -> dict:
        """What the browser posts back from the queue's change page, as shown."""
        response = client.get(change_url(mission))
        form = response.context["adminform"].form
        return {
            "triage_note": form["triage_note"].value(),
            "expected_updated_at": form["expected_updated_at"].value(),
            "expected_status": mission.status,
            "log-TOTAL_FORMS": "0",
            "log-INITIAL_FORMS": "0",
        }

    def test_the_page_carries_the_version_it_shows(self, client, cast):
        mission = submitted(1)
        client.force_login(cast["hcss"])
        response = client.get(change_url(mission))
        assertContains(
            response,
            f'<input type="hidden" name="expected_updated_at" '
            f'value="{mission_version(mission)}" id="id_expected_updated_at">',
            html=True,
        )

    def test_a_note_typed_before_start_triage_is_saved_with_the_step(self, client, cast):
        mission = submitted(1, triage_note="")
        client.force_login(cast["hcss"])
        data = self.page(client, mission) | {"triage_note": "Complete; minutes attached."}
        response = client.post(step_url(mission, "start_triage"), data)
        assertRedirects(response, change_url(mission), fetch_redirect_response=False)
        mission.refresh_from_db()
        assert (mission.status, mission.triage_note) == ("in_triage", "Complete; minutes attached.")

    def test_a_note_typed_before_forward_is_saved_and_lets_it_go(self, client, cast):
        mission = submitted(1, status="in_triage", triage_note="")
        client.force_login(cast["hcss"])
        data = self.page(client, mission) | {"triage_note": "Complete."}
        response = client.post(step_url(mission, "forward"), data)
        assertRedirects(response, QUEUE_URL, fetch_redirect_response=False)
        mission.refresh_from_db()
        assert (mission.status, mission.triage_note) == ("with_task_team", "Complete.")

    def test_a_note_typed_before_return_for_revision_is_kept(self, client, cast):
        mission = submitted(1, status="in_triage", triage_note="")
        client.force_login(cast["hcss"])
        data = self.page(client, mission) | {
            "triage_note": "Timing unclear.",
            "return_for_revision-reason": "When can the team come?",
        }
        client.post(step_url(mission, "return_for_revision"), data)
        mission.refresh_from_db()
        assert (mission.status, mission.triage_note, mission.revision_questions) == (
            "draft",
            "Timing unclear.",
            "When can the team come?",
        )

    def test_a_save_over_a_colleagues_note_is_refused(self, client, cast):
        mission = submitted(1, status="in_triage", triage_note="")
        client.force_login(cast["hcss"])
        data = self.page(client, mission) | {"triage_note": "Mine."}
        triage_note_save(mission, cast["hcss"], "A colleague's.", mission_version(mission))
        response = client.post(change_url(mission), data)
        assert response.status_code == 200
        assertContains(response, "Someone else saved this mission after you opened this page")
        assert response.context["adminform"].form["triage_note"].value() == "Mine."
        mission.refresh_from_db()
        assert mission.triage_note == "A colleague's."


class TestTriageNoteService:
    def test_only_who_may_triage_writes_it(self, cast):
        mission = submitted(1, triage_note="")
        for who in ("rc_hc_pakistan", "task_team", "gcc"):
            with pytest.raises(PermissionDenied):
                triage_note_save(mission, cast[who], "Mine.", None)
        with pytest.raises(MissionNotFound):
            triage_note_save(mission, cast["rc_hc_nepal"], "Mine.", None)
        mission.refresh_from_db()
        assert mission.triage_note == ""

    @pytest.mark.parametrize("status", ["draft", "with_task_team", "approved"])
    def test_only_while_submitted_or_in_triage(self, cast, status):
        # The draft: one returned for revision (HCSS no longer sees one never submitted).
        mission = make_mission("PAK", status=status, triage_note="", submitted_at=timezone.now())
        with pytest.raises(ValidationError) as refused:
            triage_note_save(mission, cast["hcss"], "Late.", None)
        assert "triage_note" in refused.value.message_dict
        mission.refresh_from_db()
        assert mission.triage_note == ""

    def test_a_stale_version_is_refused_and_an_unchanged_note_writes_nothing(self, cast):
        mission = submitted(1, triage_note="First.")
        seen = mission_version(mission)
        triage_note_save(mission, cast["hcss"], "Second.", seen)
        with pytest.raises(MissionChanged):
            triage_note_save(mission, cast["hcss"], "Third.", seen)
        mission.refresh_from_db()
        assert mission.triage_note == "Second."
        before = mission.updated_at
        triage_note_save(mission, cast["hcss"], "Second.", seen)  # nothing to write
        mission.refresh_from_db()
        assert mission.updated_at == before


class TestDashboard:
    def test_shows_counts_and_charts(self, client, cast):
        submitted(1, "PAK")
        submitted(2, "PAK", status="in_triage")
        submitted(40, "NPL")
        make_mission("NPL", status="approved", submitted_at=None)
        client.force_login(cast["hcss"])
        response = client.get(DASHBOARD_URL)
        assert response.status_code == 200

        figures = response.context["figures"]
        assert figures["total"] == 4
        states = dict(figures["states"])
        assert (states["Submitted"], states["In triage"], states["Approved"]) == (2, 1, 1)
        assert states["Closed"] == 0
        assert figures["countries"] == [("Nepal", 2), ("Pakistan", 2)]
        assert figures["queue"] == {"waiting": 3, "overdue": 1}
        assert sum(value for _, value in figures["months"]) == 3
        assert len(figures["months"]) == 12

        html = response.content.decode()
        charts = re.findall(r'<svg [^>]*class="icsm-chart".*?</svg>', html, re.S)
        assert len(charts) == 4
        for chart in charts:
            ET.fromstring(chart)  # each chart is well-formed SVG as served
        assert html.count("<details>") == 4
        for title in ("Missions by state", "Missions by country", "Median days spent"):
            assertContains(response, title)
        assertContains(response, "1 waiting longer than the 10-day target")
        assertContains(response, '<th scope="row">Nepal</th>', html=True)

    def test_counts_submissions_in_their_month(self, client, cast):
        mission = submitted(0)
        client.force_login(cast["hcss"])
        months = client.get(DASHBOARD_URL).context["figures"]["months"]
        this_month = timezone.localtime(mission.submitted_at).strftime("%b %Y")
        assert months[-1] == (this_month, 1)

    def test_median_days_per_state_come_from_the_log(self, client, cast):
        now = timezone.now()
        for days_submitted in (2, 4, 9):
            mission = make_mission("PAK", status="submitted")
            log = mission_transition(mission, "start_triage", cast["hcss"])
            Mission.objects.filter(pk=mission.pk).update(
                created_at=now - datetime.timedelta(days=days_submitted)
            )
            TransitionLog.objects.filter(pk=log.pk).update(at=now)
        client.force_login(cast["hcss"])
        figures = client.get(DASHBOARD_URL).context["figures"]
        assert figures["time_in_state"] == [("Submitted", 4.0)]

    def test_counts_only_missions_in_scope(self, client, staff_for_pakistan):
        submitted(1, "PAK")
        submitted(1, "NPL")
        make_mission("NPL", status="approved")
        client.force_login(staff_for_pakistan)
        figures = client.get(DASHBOARD_URL).context["figures"]
        assert figures["total"] == 1
        assert figures["countries"] == [("Pakistan", 1)]

    def test_staff_without_a_role_sees_nothing_counted(self, client, staff_without_role, cast):
        mission = submitted(1, "PAK")
        mission_transition(mission, "start_triage", cast["hcss"])
        client.force_login(staff_without_role)
        response = client.get(DASHBOARD_URL)
        assert response.status_code == 200
        figures = response.context["figures"]
        assert figures["total"] == 0
        assert figures["countries"] == []
        assert figures["time_in_state"] == []
        assertNotContains(response, "Pakistan")

    def test_admin_index_links_to_the_dashboard_and_the_queue(self, client, cast):
        client.force_login(cast["hcss"])
        response = client.get(reverse("admin:index"))
        assertContains(response, f'href="{DASHBOARD_URL}"')
        assertContains(response, f'href="{QUEUE_URL}"')

    def test_query_count_does_not_grow_with_the_number_of_missions(self, client, cast):
        def add(count: int):
            for index in range(count):
                mission = submitted(index * 7, "PAK" if index % 2 else "NPL")
                mission_transition(mission, "start_triage", cast["hcss"])

        client.force_login(cast["hcss"])
        client.get(DASHBOARD_URL)  # warm per-process caches before counting
        add(5)
        with CaptureQueriesContext(connection) as five:
            response = client.get(DASHBOARD_URL)
        assert response.context["figures"]["total"] == 5

        add(45)
        with CaptureQueriesContext(connection) as fifty:
            response = client.get(DASHBOARD_URL)
        assert response.context["figures"]["total"] == 50

        assert len(fifty) == len(five), "\n".join(q["sql"] for q in fifty.captured_queries)
