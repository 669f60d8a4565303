"""The HCSS desk in the Django admin: scope, filters, the change page and its steps."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from clusters.models import Country
from clusters.services import hcss_admin_group
from missions.models import Mission, TransitionLog
from missions.services.mission import mission_transition
from tests.factories import UserFactory, make_mission
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
        "npl": make_mission("NPL", title="Nepal earthquake coordination"),
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
            make_mission("PAK" if index % 2 else "NPL", complete=False)
        with CaptureQueriesContext(connection) as five:
            response = client.get(CHANGELIST_URL)
        assert len(listed(response)) == 5

        for index in range(45):
            make_mission("PAK" if index % 2 else "NPL", complete=False)
        with CaptureQueriesContext(connection) as fifty:
            response = client.get(CHANGELIST_URL)
        assert len(listed(response)) == 50

        assert len(fifty) == len(five), "\n".join(q["sql"] for q in fifty.captured_queries)

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
            response, '<input type="submit" value="Forward to the Task Team">', html=True
        )
        assertContains(response, f'action="{transition_url(mission, "forward")}"')
        assertNotContains(response, "Submit the request")

    def test_a_step_whose_guard_fails_is_shown_disabled_with_what_is_missing(self, client, cast):
        mission = make_mission("PAK", status="in_triage", triage_note="")
        client.force_login(cast["hcss"])
        response = client.get(change_url(mission))
        assertContains(
            response, '<input type="submit" value="Forward to the Task Team" disabled>', html=True
        )
        assertContains(response, "Write a triage note confirming the request is complete.")

    def test_status_is_read_only_in_the_form(self, client, cast):
        mission = make_mission("PAK", status="submitted", title="Before")
        client.force_login(cast["hcss"])
        page = client.get(change_url(mission))
        assert "status" not in page.context["adminform"].form.fields

        data = form_data(page) | {"title": "After", "status": "approved"}
        response = client.post(change_url(mission), data)

        assert response.status_code == 302, response.context["adminform"].form.errors
        mission.refresh_from_db()
        assert mission.title == "After"  # the form was saved...
        assert mission.status == "submitted"  # ...but not the status
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
        mission = make_mission("PAK", title="Before")
        client.force_login(cast["hcss"])
        data = form_data(client.get(change_url(mission))) | {"title": "After"}
        client.force_login(staff_without_role)
        response = client.post(change_url(mission), data)
        assert response.status_code == 404
        mission.refresh_from_db()
        assert mission.title == "Before"

    def test_moving_a_mission_to_another_country_moves_its_scope(self, client, cast):
        mission = make_mission("PAK")
        client.force_login(cast["hcss"])
        data = form_data(client.get(change_url(mission)))
        data["country"] = Country.objects.get(code="NPL").pk
        response = client.post(change_url(mission), data)
        assert response.status_code == 302

        assert mission.pk not in visible_on_the_site(client, cast["rc_hc_pakistan"])
        assert mission.pk in visible_on_the_site(client, cast["rc_hc_nepal"])

    def test_a_mission_added_in_the_admin_is_in_the_countrys_scope(self, client, cast):
        client.force_login(cast["hcss"])
        page = client.get(reverse("admin:missions_mission_add"))
        data = form_data(page) | {
            "title": "Added by HCSS",
            "country": Country.objects.get(code="PAK").pk,
            "mission_type": Mission.Type.DIAGNOSTIC,
        }
        response = client.post(reverse("admin:missions_mission_add"), data)
        assert response.status_code == 302
        mission = Mission.objects.get(title="Added by HCSS")
        assert mission.status == "draft"

        assert mission.pk in visible_on_the_site(client, cast["rc_hc_pakistan"])
        assert mission.pk not in visible_on_the_site(client, cast["rc_hc_nepal"])

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
