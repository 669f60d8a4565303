"""The HCSS desk in the Django admin: scope, filters, the change page and its steps."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from clusters.models import Country
from clusters.services import hcss_admin_group, role_grant
from missions.models import Lesson, Mission, TransitionLog
from missions.services.intake import mission_endorse
from missions.services.mission import mission_transition
from missions.services.triage import triage_note_save
from tests.factories import UserFactory, make_member, make_mission
from tests.missions.admin_helpers import listed, messages_of, status_of

CHANGELIST_URL = reverse("admin:missions_mission_changelist")


def change_url(mission) -> str:
    return reverse("admin:missions_mission_change", args=[mission.pk])


def transition_url(mission, name: str) -> str:
    return reverse("admin:missions_mission_transition", args=[mission.pk, name])


def visible_on_the_site(client, user) -> set[int]:
    """The missions `user` finds in the site's mission list."""
    client.force_login(user)
    return {m.pk for m in client.get(reverse("missions:list")).context["page"].object_list}


def form_data(response) -> dict:
    """What the browser would post back from the change page, unchanged."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list | tuple):
            value = [getattr(item, "pk", item) for item in value]
        data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
    return data


@pytest.fixture
def staff_without_role(db):
    """Staff with the admin group's model permissions, but no role: no mission in scope."""
    user = UserFactory(username="staff-no-role", is_staff=True)
    user.groups.add(hcss_admin_group())
    return user


@pytest.fixture
def pakistan_and_nepal(cast):
    return {
        "pak": make_mission("PAK", title="Pakistan flood coordination", status="submitted"),
        "npl": make_mission("NPL", title="Nepal earthquake coordination", status="in_triage"),
    }


class TestChangelist:
    def test_hcss_sees_the_missions_of_every_country(self, client, cast, pakistan_and_nepal):
        client.force_login(cast["hcss"])
        response = client.get(CHANGELIST_URL)
        assert response.status_code == 200
        assert listed(response) == {m.pk for m in pakistan_and_nepal.values()}
        assertContains(response, "Pakistan flood coordination")
        assertContains(response, "Nepal earthquake coordination")

    def test_hcss_filters_by_status(self, client, cast, pakistan_and_nepal):
        client.force_login(cast["hcss"])
        response = client.get(CHANGELIST_URL, {"status__exact": "submitted"})
        assert listed(response) == {pakistan_and_nepal["pak"].pk}

    @pytest.mark.parametrize(
        "band, expected",
        [("lt7", {"recent"}), ("7to30", {"weeks"}), ("gt30", {"old"})],
    )
    def test_hcss_filters_by_age_since_submission(self, client, cast, band, expected):
        now = timezone.now()
        missions = {
            "recent": make_mission("PAK", status="submitted", submitted_at=now - _days(2)),
            "weeks": make_mission("PAK", status="submitted", submitted_at=now - _days(10)),
            "old": make_mission("NPL", status="submitted", submitted_at=now - _days(40)),
            "never": make_mission("PAK"),
        }
        client.force_login(cast["hcss"])
        response = client.get(CHANGELIST_URL, {"age": band})
        assert response.status_code == 200
        assert listed(response) == {missions[key].pk for key in expected}

    def test_unknown_age_band_lists_everything(self, client, cast, pakistan_and_nepal):
        client.force_login(cast["hcss"])
        response = client.get(CHANGELIST_URL, {"age": "forever"})
        assert response.status_code == 200
        assert listed(response) == {m.pk for m in pakistan_and_nepal.values()}

    @pytest.mark.parametrize("term", ["earthquake", "Nepal", "NPL"])
    def test_hcss_searches_by_title_and_country(self, client, cast, pakistan_and_nepal, term):
        client.force_login(cast["hcss"])
        response = client.get(CHANGELIST_URL, {"q": term})
        assert response.status_code == 200
        assert listed(response) == {pakistan_and_nepal["npl"].pk}

    def test_query_count_does_not_grow_with_the_number_of_missions(self, client, cast):
        client.force_login(cast["hcss"])
        client.get(CHANGELIST_URL)  # warm per-process caches (content types) before counting
        for index in range(5):
            make_mission("PAK" if index % 2 else "NPL", status="in_triage", complete=False)
        with CaptureQueriesContext(connection) as five:
            response = client.get(CHANGELIST_URL)
        assert len(listed(response)) == 5

        for index in range(45):
            make_mission("PAK" if index % 2 else "NPL", status="in_triage", complete=False)
        with CaptureQueriesContext(connection) as fifty:
            response = client.get(CHANGELIST_URL)
        assert len(listed(response)) == 50

        assert len(fifty) == len(five), "\n".join(q["sql"] for q in fifty.captured_queries)

    def test_the_rows_read_the_columns_the_list_shows_not_the_requests_texts(
        self, client, cast, pakistan_and_nepal
    ):
        client.force_login(cast["hcss"])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CHANGELIST_URL)
        assert listed(response) == {m.pk for m in pakistan_and_nepal.values()}
        [rows] = [
            q["sql"] for q in queries if q["sql"].startswith('SELECT "missions_mission"."id"')
        ]
        assert '"missions_mission"."title"' in rows and '"missions_mission"."status"' in rows
        for text in ("objectives", "issues", "deliverables", "triage_note"):
            assert f'"missions_mission"."{text}"' not in rows
        assertContains(response, pakistan_and_nepal["npl"].title)

    def test_the_page_reads_no_distinct_value_of_the_whole_scope(
        self, client, cast, pakistan_and_nepal
    ):
        """The country filter asks whether each country has a mission (an index probe), and
        the periods of the creation date cost no query: nothing reads every mission's dates
        or countries at each page."""
        client.force_login(cast["hcss"])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CHANGELIST_URL)
        mission_queries = [q["sql"] for q in queries if "missions_mission" in q["sql"]]
        assert not any("DISTINCT" in sql or "DATE_TRUNC" in sql for sql in mission_queries)
        assert not any("MIN(" in sql or "django_datetime_trunc" in sql for sql in mission_queries)
        choices = [
            c["display"]
            for c in response.context["cl"].filter_specs[1].choices(response.context["cl"])
        ]
        assert {"Nepal", "Pakistan"} <= set(choices)
        assert "Afghanistan" not in choices

    def test_staff_without_a_role_gets_an_empty_changelist(
        self, client, staff_without_role, pakistan_and_nepal
    ):
        client.force_login(staff_without_role)
        response = client.get(CHANGELIST_URL)
        assert response.status_code == 200
        assert listed(response) == set()
        assertNotContains(response, "coordination")

    def test_staff_without_a_role_sees_no_transition_log_rows(
        self, client, staff_without_role, cast
    ):
        mission = make_mission("PAK", status="submitted")
        mission_transition(mission, "start_triage", cast["hcss"])
        client.force_login(staff_without_role)
        response = client.get(reverse("admin:missions_transitionlog_changelist"))
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == []

    def test_staff_without_a_role_finds_nothing_by_search(
        self, client, staff_without_role, pakistan_and_nepal
    ):
        client.force_login(staff_without_role)
        response = client.get(CHANGELIST_URL, {"q": "Nepal"})
        assert listed(response) == set()

    def test_non_staff_user_is_redirected_to_the_admin_login(self, client, cast):
        client.force_login(cast["rc_hc_pakistan"])
        response = client.get(CHANGELIST_URL)
        assertRedirects(
            response,
            f"{reverse('admin:login')}?next={CHANGELIST_URL}",
            fetch_redirect_response=False,
        )

    def test_anonymous_user_is_redirected_to_the_admin_login(self, client, db):
        response = client.get(CHANGELIST_URL)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


class TestChangePage:
    def test_shows_the_transition_log_inline(self, client, cast):
        mission = make_mission("PAK", status="submitted")
        log = mission_transition(mission, "start_triage", cast["hcss"], comment="Looking now.")
        client.force_login(cast["hcss"])
        response = client.get(change_url(mission))
        assert response.status_code == 200
        (inline,) = response.context["inline_admin_formsets"]
        assert [form.instance.pk for form in inline.formset.forms] == [log.pk]
        assertContains(response, "start_triage")
        assertContains(response, "Looking now.")

    def test_shows_the_steps_hcss_can_take(self, client, cast):
        mission = make_mission("PAK", status="in_triage")
        client.force_login(cast["hcss"])
        response = client.get(change_url(mission))
        assertContains(response, "Steps you can take")
        names = [t["name"] for t in response.context["transitions"]]
        assert names == ["return_for_revision", "forward", "cancel"]
        assertContains(
            response,
            '<input type="submit" value="Forward to the Task Team" '
            f'formaction="{transition_url(mission, "forward")}" formnovalidate>',
            html=True,
        )
        assertNotContains(response, "Submit the request")

    def test_a_step_that_lacks_only_the_triage_note_says_so_and_stays_enabled(self, client, cast):
        # The note is typed on the same page, and the step's button saves it first.
        mission = make_mission("PAK", status="in_triage", triage_note="")
        client.force_login(cast["hcss"])
        response = client.get(change_url(mission))
        (forward,) = [t for t in response.context["transitions"] if t["name"] == "forward"]
        assert forward["blocked"] == []
        assertContains(response, "Write a triage note confirming the request is complete.")
        assertContains(response, "this step saves it first")

    def test_a_step_whose_guard_fails_is_shown_disabled_with_what_is_missing(self, client, cast):
        superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
        mission = make_mission("PAK", status="with_task_team", agreed_focus="")
        client.force_login(superuser)
        response = client.get(change_url(mission))
        assertContains(
            response,
            '<input type="submit" value="Approve" '
            f'formaction="{transition_url(mission, "approve")}" formnovalidate disabled>',
            html=True,
        )
        assertContains(response, "Write the agreed focus of the mission.")

    def test_the_triage_note_is_the_only_field_hcss_writes(self, client, cast):
        mission = make_mission("PAK", status="submitted")
        client.force_login(cast["hcss"])
        page = client.get(change_url(mission))
        assert list(page.context["adminform"].form.fields) == ["triage_note", "expected_updated_at"]
        assertContains(page, mission.agreed_focus)  # shown, read-only

    def test_status_is_read_only_in_the_form(self, client, cast):
        mission = make_mission("PAK", status="submitted", title="Before")
        client.force_login(cast["hcss"])
        page = client.get(change_url(mission))
        data = form_data(page) | {"title": "After", "status": "approved", "triage_note": "Ok."}
        response = client.post(change_url(mission), data)

        assert response.status_code == 302, response.context["adminform"].form.errors
        mission.refresh_from_db()
        assert mission.triage_note == "Ok."  # the note was saved...
        assert (mission.title, mission.status) == ("Before", "submitted")  # ...nothing else
        assert not TransitionLog.objects.filter(mission=mission).exists()

    def test_staff_without_a_role_gets_404_on_any_mission(self, client, staff_without_role, cast):
        mission = make_mission("PAK")
        client.force_login(staff_without_role)
        response = client.get(change_url(mission))
        assert response.status_code == 404

    def test_staff_without_a_role_gets_the_same_404_for_a_mission_that_does_not_exist(
        self, client, staff_without_role
    ):
        client.force_login(staff_without_role)
        response = client.get(reverse("admin:missions_mission_change", args=[987654]))
        assert response.status_code == 404

    def test_staff_without_a_role_cannot_save_the_change_form(
        self, client, staff_without_role, cast
    ):
        mission = make_mission("PAK", title="Before", status="submitted")
        client.force_login(cast["hcss"])
        data = form_data(client.get(change_url(mission))) | {"title": "After"}
        client.force_login(staff_without_role)
        response = client.post(change_url(mission), data)
        assert response.status_code == 404
        mission.refresh_from_db()
        assert mission.title == "Before"

    def test_no_mission_is_added_or_deleted_in_the_admin(self, client, cast):
        # Requests come from the RC/HC office through the site; missions end by a step.
        mission = make_mission("PAK", status="submitted")
        superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
        for user in (cast["hcss"], superuser):
            client.force_login(user)
            assert client.get(reverse("admin:missions_mission_add")).status_code == 403
            delete = reverse("admin:missions_mission_delete", args=[mission.pk])
            assert client.post(delete, {"post": "yes"}).status_code == 403
        assert Mission.objects.filter(pk=mission.pk).exists()

    def test_parent_autocomplete_offers_only_missions_in_scope(
        self, client, cast, staff_without_role, pakistan_and_nepal
    ):
        url = reverse("admin:autocomplete")
        params = {
            "app_label": "missions",
            "model_name": "mission",
            "field_name": "parent",
            "term": "coordination",
        }
        client.force_login(cast["hcss"])
        offered = {int(r["id"]) for r in client.get(url, params).json()["results"]}
        assert offered == {m.pk for m in pakistan_and_nepal.values()}

        client.force_login(staff_without_role)
        assert client.get(url, params).json()["results"] == []

    def test_non_staff_user_is_redirected_to_the_admin_login(self, client, cast):
        mission = make_mission("PAK")
        client.force_login(cast["rc_hc_pakistan"])
        response = client.get(change_url(mission))
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


class TestAdminTransition:
    def test_hcss_starts_triage_through_the_runner(self, client, cast):
        mission = make_mission("PAK", status="submitted")
        client.force_login(cast["hcss"])
        response = client.post(
            transition_url(mission, "start_triage"),
            {"expected_status": "submitted", "comment": "Taking it."},
        )
        assertRedirects(response, change_url(mission), fetch_redirect_response=False)
        assert status_of(mission) == "in_triage"
        log = TransitionLog.objects.get(mission=mission)
        assert (log.transition, log.source, log.target) == (
            "start_triage",
            "submitted",
            "in_triage",
        )
        assert log.user == cast["hcss"]
        assert log.comment == "Taking it."
        assert any("now in triage" in m for m in messages_of(response))

    def test_forward_without_a_triage_note_is_refused_with_a_message(self, client, cast):
        mission = make_mission("PAK", status="in_triage", triage_note="")
        client.force_login(cast["hcss"])
        response = client.post(
            transition_url(mission, "forward"), {"expected_status": "in_triage"}, follow=True
        )
        assert response.redirect_chain == [(change_url(mission), 302)]
        assert status_of(mission) == "in_triage"
        assert not TransitionLog.objects.filter(mission=mission).exists()
        assertContains(response, "needs more first")
        assertContains(response, "Write a triage note confirming the request is complete.")

    def test_stale_expected_status_changes_nothing(self, client, cast):
        mission = make_mission("PAK", status="submitted")
        mission_transition(mission, "start_triage", cast["hcss"])
        client.force_login(cast["hcss"])
        response = client.post(
            transition_url(mission, "return_for_revision"),
            {"expected_status": "submitted", "reason": "Dates?"},
        )
        assert response.status_code == 302
        assert status_of(mission) == "in_triage"
        assert any("Someone changed this mission" in m for m in messages_of(response))

    def test_staff_without_a_role_gets_404_and_nothing_changes(
        self, client, staff_without_role, cast
    ):
        mission = make_mission("PAK", status="submitted")
        client.force_login(staff_without_role)
        response = client.post(
            transition_url(mission, "start_triage"), {"expected_status": "submitted"}
        )
        assert response.status_code == 404
        assert status_of(mission) == "submitted"
        assert not TransitionLog.objects.filter(mission=mission).exists()

    def test_unknown_step_is_404(self, client, cast):
        mission = make_mission("PAK", status="submitted")
        client.force_login(cast["hcss"])
        response = client.post(transition_url(mission, "delete"))
        assert response.status_code == 404
        assert Mission.objects.filter(pk=mission.pk).exists()
        assert status_of(mission) == "submitted"

    def test_get_on_the_admin_transition_url_is_405(self, client, cast):
        mission = make_mission("PAK", status="submitted")
        client.force_login(cast["hcss"])
        response = client.get(transition_url(mission, "start_triage"))
        assert response.status_code == 405
        assert status_of(mission) == "submitted"

    def test_non_staff_user_is_redirected_to_the_admin_login_and_nothing_changes(
        self, client, cast
    ):
        mission = make_mission("PAK")
        client.force_login(cast["rc_hc_pakistan"])
        response = client.post(transition_url(mission, "submit"), {"expected_status": "draft"})
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
        assert status_of(mission) == "draft"


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


# The admin is not a second writer ------------------------------------------------------------


def others_fields() -> dict:
    """What others own on a mission, as HCSS would post it over the change page (dated from
    the day the test runs)."""
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    return {
        "priority_score": "9.99",  # the Task Team
        "priority_rank": "42",
        "agreed_focus": "Overwritten focus.",
        "draft_tor": "Overwritten ToR.",
        "hct_endorsed_on": "2001-01-01",  # the HCT
        "hct_endorsement_record": "Overwritten record.",
        "in_country_from": tomorrow,  # the GCC
        "in_country_to": tomorrow,
        "country_consultation_on": tomorrow,  # the leader
        "title": "Overwritten title",  # the RC/HC office
        "objectives": "Overwritten objectives.",
    }


def snapshot(mission) -> dict:
    mission.refresh_from_db()
    return {
        name: getattr(mission, name)
        for name in [*others_fields(), "country_id", "parent_id", "status", "revision_questions"]
    }


class TestTheAdminIsNotASecondWriter:
    @pytest.mark.parametrize("status", ["submitted", "in_triage"])
    def test_hcss_overwrites_nothing_others_own_while_triaging(self, client, cast, status):
        mission = make_mission("PAK", status=status)
        before = snapshot(mission)
        client.force_login(cast["hcss"])
        data = form_data(client.get(change_url(mission))) | others_fields()
        response = client.post(change_url(mission), data)
        assert response.status_code == 302
        assert snapshot(mission) == before

    def test_a_submitted_mission_does_not_move_to_another_country(self, client, cast):
        mission = make_mission("PAK", status="submitted")
        elsewhere = make_mission("NPL", title="Nepal earlier mission", status="closed")
        client.force_login(cast["hcss"])
        data = form_data(client.get(change_url(mission))) | {
            "country": Country.objects.get(code="NPL").pk,
            "parent": elsewhere.pk,
        }
        client.post(change_url(mission), data)
        mission.refresh_from_db()
        assert (mission.country.code, mission.parent) == ("PAK", None)
        assert mission.pk in visible_on_the_site(client, cast["rc_hc_pakistan"])
        assert mission.pk not in visible_on_the_site(client, cast["rc_hc_nepal"])

    @pytest.mark.parametrize("status", ["with_task_team", "approved", "in_planning", "in_country"])
    def test_outside_triage_the_page_is_read_only_and_a_post_is_refused(self, client, cast, status):
        mission = make_mission("PAK", status=status)
        before = snapshot(mission)
        client.force_login(cast["hcss"])
        page = client.get(change_url(mission))
        assert page.status_code == 200
        assert "triage_note" not in page.context["adminform"].form.fields
        assertNotContains(page, 'name="_save"')
        response = client.post(change_url(mission), others_fields() | {"triage_note": "Late."})
        assert response.status_code == 403
        assert snapshot(mission) == before
        mission.refresh_from_db()
        assert mission.triage_note == "Complete."

    def test_a_user_who_may_not_triage_sees_the_page_read_only(self, client, cast):
        staff = cast["rc_hc_pakistan"]
        staff.is_staff = True
        staff.save()
        staff.groups.add(hcss_admin_group())
        mission = make_mission("PAK", status="submitted", triage_note="")
        client.force_login(staff)
        page = client.get(change_url(mission))
        assert "triage_note" not in page.context["adminform"].form.fields
        response = client.post(change_url(mission), {"triage_note": "Mine."})
        assert response.status_code == 403
        mission.refresh_from_db()
        assert mission.triage_note == ""


class TestStaleSaves:
    def test_a_page_saved_after_someone_else_saved_is_refused_and_overwrites_nothing(
        self, client, cast
    ):
        mission = make_mission("PAK", status="in_triage", triage_note="")
        colleague = UserFactory(username="hcss-2")
        role_grant(colleague, "hcss")
        client.force_login(cast["hcss"])
        data = form_data(client.get(change_url(mission))) | {"triage_note": "Mine: complete."}

        triage_note_save(mission, colleague, "Theirs: HCT minutes missing.", None)
        response = client.post(change_url(mission), data)

        assert response.status_code == 200
        mission.refresh_from_db()
        assert mission.triage_note == "Theirs: HCT minutes missing."
        assertContains(response, "Someone else saved this mission after you opened this page")
        assertContains(response, "Theirs: HCT minutes missing.")  # what they saved, said
        form = response.context["adminform"].form
        assert form["triage_note"].value() == "Mine: complete."  # what was typed, kept

        # Saving again, having seen it, is a choice: it goes through.
        again = client.post(change_url(mission), form_data(response))
        assert again.status_code == 302
        mission.refresh_from_db()
        assert mission.triage_note == "Mine: complete."

    def test_an_endorsement_recorded_meanwhile_is_not_reverted(self, client, cast):
        mission = make_mission("PAK", status="submitted", triage_note="")
        client.force_login(cast["hcss"])
        data = form_data(client.get(change_url(mission))) | {
            "triage_note": "Complete.",
            "hct_endorsement_record": "Old text from the page.",
        }
        mission_endorse(
            mission,
            cast["hct_pakistan"],
            endorsed_on=datetime.date.today(),
            record="Agreed at the HCT of this morning.",
        )
        response = client.post(change_url(mission), data)
        assert response.status_code == 200
        mission.refresh_from_db()
        assert mission.hct_endorsement_record == "Agreed at the HCT of this morning."
        assert mission.triage_note == ""

    def test_a_version_that_is_not_one_is_refused_not_a_500(self, client, cast):
        mission = make_mission("PAK", status="submitted", triage_note="")
        client.force_login(cast["hcss"])
        data = form_data(client.get(change_url(mission))) | {
            "triage_note": "Complete.",
            "expected_updated_at": "yesterday",
        }
        response = client.post(change_url(mission), data)
        assert response.status_code == 200
        mission.refresh_from_db()
        assert mission.triage_note == ""


class TestStepsSaveTheTypedNote:
    def test_a_note_typed_before_start_triage_is_saved_with_the_step(self, client, cast):
        mission = make_mission("PAK", status="submitted", triage_note="")
        client.force_login(cast["hcss"])
        data = form_data(client.get(change_url(mission))) | {
            "triage_note": "Complete; minutes attached.",
            "start_triage-comment": "Taking it.",
        }
        response = client.post(transition_url(mission, "start_triage"), data)
        assertRedirects(response, change_url(mission), fetch_redirect_response=False)
        mission.refresh_from_db()
        assert (mission.status, mission.triage_note) == ("in_triage", "Complete; minutes attached.")
        assert TransitionLog.objects.get(mission=mission).comment == "Taking it."
        shown = messages_of(response)
        assert "The triage note is saved." in shown
        assert any("now in triage" in m for m in shown)

    def test_each_step_reads_its_own_reason(self, client, cast):
        mission = make_mission("PAK", status="in_triage")
        client.force_login(cast["hcss"])
        data = form_data(client.get(change_url(mission))) | {
            "return_for_revision-reason": "Which districts?",
            "cancel-reason": "",
        }
        client.post(transition_url(mission, "return_for_revision"), data)
        mission.refresh_from_db()
        assert (mission.status, mission.revision_questions) == ("draft", "Which districts?")

    def test_a_refused_step_keeps_the_note_saved(self, client, cast):
        mission = make_mission("PAK", status="in_triage", triage_note="")
        client.force_login(cast["hcss"])
        data = form_data(client.get(change_url(mission))) | {"triage_note": "Checked."}
        response = client.post(transition_url(mission, "return_for_revision"), data)
        assert response.status_code == 302
        mission.refresh_from_db()
        assert (mission.status, mission.triage_note) == ("in_triage", "Checked.")
        assert "Give a reason." in messages_of(response)

    def test_a_stale_page_takes_no_step_and_shows_the_typed_note_again(self, client, cast):
        mission = make_mission("PAK", status="submitted", triage_note="")
        client.force_login(cast["hcss"])
        data = form_data(client.get(change_url(mission))) | {"triage_note": "Typed here."}
        triage_note_save(mission, cast["hcss"], "Saved in another tab.", None)

        response = client.post(transition_url(mission, "start_triage"), data)

        assert response.status_code == 200
        assert response.context["adminform"].form["triage_note"].value() == "Typed here."
        assertContains(response, "Someone else saved this mission")
        # The form posts back to the change page, not to the step.
        assertContains(response, f'action="{change_url(mission)}"')
        mission.refresh_from_db()
        assert (mission.status, mission.triage_note) == ("submitted", "Saved in another tab.")
        assert not TransitionLog.objects.filter(mission=mission).exists()

    def test_a_note_that_can_no_longer_be_saved_is_given_back_in_the_message(self, client, cast):
        mission = make_mission("PAK", status="in_triage", triage_note="")
        client.force_login(cast["hcss"])
        data = form_data(client.get(change_url(mission))) | {"triage_note": "My long note."}
        mission_transition(mission, "return_for_revision", cast["hcss"], reason="Dates?")

        response = client.post(transition_url(mission, "forward"), data)

        assert response.status_code == 302
        assert any("My long note." in m for m in messages_of(response))
        assert status_of(mission) == "draft"


# Out of scope is a 404 in the admin too ------------------------------------------------------


@pytest.fixture
def staff_for_pakistan(cast):
    """The RC/HC of Pakistan given the admin's model permissions: scope is still Pakistan."""
    user = cast["rc_hc_pakistan"]
    user.is_staff = True
    user.save()
    user.groups.add(hcss_admin_group())
    return user


def _scoped_objects(cast) -> dict:
    """One object of each scoped admin for a Nepal mission, which Pakistan's staff cannot see."""
    mission = make_mission("NPL", status="submitted")
    log = mission_transition(mission, "start_triage", cast["hcss"])
    mission.refresh_from_db()
    member = make_member(mission, "nepal-member")
    lesson = Lesson.objects.create(
        mission=mission, country=mission.country, title="Nepal lesson", text="Text."
    )
    return {
        "mission": mission,
        "triagerequest": mission,
        "transitionlog": log,
        "nomination": member,
        "invitation": member.invitation,
        "lesson": lesson,
    }


@pytest.mark.parametrize(
    "model", ["mission", "triagerequest", "transitionlog", "nomination", "invitation", "lesson"]
)
@pytest.mark.parametrize("page", ["change", "history", "delete"])
def test_an_object_out_of_scope_is_404_on_every_admin_page(
    client, cast, staff_for_pakistan, model, page
):
    obj = _scoped_objects(cast)[model]
    url = reverse(f"admin:missions_{model}_{page}", args=[obj.pk])
    client.force_login(staff_for_pakistan)
    assert client.get(url).status_code == 404
    assert client.post(url, {"post": "yes"}).status_code == 404
    # The same pages answer for an object in scope (so the 404 above is the scope's).
    client.force_login(cast["hcss"])
    assert client.get(url).status_code in (200, 403)


@pytest.mark.parametrize("model", ["mission", "triagerequest"])
@pytest.mark.parametrize("name", ["start_triage", "return_for_revision", "forward", "cancel"])
def test_a_step_on_a_mission_out_of_scope_is_404(client, cast, staff_for_pakistan, model, name):
    mission = make_mission("NPL", status="in_triage")
    client.force_login(staff_for_pakistan)
    url = reverse(f"admin:missions_{model}_transition", args=[mission.pk, name])
    response = client.post(url, {"reason": "x", "triage_note": "x"})
    assert response.status_code == 404
    assert status_of(mission) == "in_triage"


def test_admin_lists_show_only_what_is_in_scope(client, cast, staff_for_pakistan):
    nepal = _scoped_objects(cast)
    pakistan = make_mission("PAK", status="submitted")
    client.force_login(staff_for_pakistan)
    for model in ("mission", "triagerequest"):
        response = client.get(reverse(f"admin:missions_{model}_changelist"))
        assert listed(response) == {pakistan.pk}, model
    for model in ("transitionlog", "nomination", "invitation", "lesson"):
        response = client.get(reverse(f"admin:missions_{model}_changelist"))
        assert nepal[model].pk not in {o.pk for o in response.context["cl"].result_list}, model
