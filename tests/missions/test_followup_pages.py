"""The follow-up on the web: who sees which page (a matrix, with a check that every URL of
missions.urls.followup has its row), drafting a point, progress with evidence, verification,
the stale edit, the tracker's filters and exports, the calendar feed, and query counts that
do not grow with the number of points."""

import csv
import datetime
import io
from html import escape
from html.parser import HTMLParser

import icalendar
import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from clusters.models import (
    Country,
    CountryCluster,
    GlobalCluster,
    Organisation,
    Role,
    RoleAssignment,
)
from missions.forms.followup import TrackerFilterForm
from missions.models import (
    ActionPoint,
    CalendarToken,
    Evidence,
    ImprovementPlan,
    Mission,
    Nomination,
    PlanComment,
)
from missions.models.followup import PointStatus
from missions.selectors.followup import POINT_ORDER, for_display, tracker_points, with_shared
from missions.services.followup import (
    action_point_create,
    action_point_update,
    plan_create,
    point_transition,
    progress_post,
)
from missions.services.permissions import mission_leader_appoint, team_member_grant
from tests.factories import UserFactory, make_mission, point_fields

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def today() -> datetime.date:
    return timezone.localdate()


def pdf(name="minutes.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def owner(db):
    return UserFactory(username="owner-wash")


@pytest.fixture
def mission(cast):
    """A mission in Pakistan, in the country, led by the cast's leader, with a team member."""
    mission = make_mission(
        "PAK",
        status="in_country",
        in_country_from=datetime.date(2026, 3, 1),
        in_country_to=datetime.date(2026, 3, 12),
    )
    mission_leader_appoint(mission, cast["leader"])
    member = UserFactory(username="member")
    cast["member"] = member
    team_member_grant(Nomination(mission=mission, participant=member))
    return mission


def opened(mission, leader, owner, **overrides):
    point = action_point_create(mission, leader, **point_fields(owner, **overrides))
    point_transition(point, "open", leader)
    point.refresh_from_db()
    return point


def health_cluster() -> CountryCluster:
    cluster, _ = CountryCluster.objects.get_or_create(
        country=Country.objects.get(code="PAK"),
        global_cluster=GlobalCluster.objects.get(code="health"),
    )
    return cluster


def opened_to_health_cluster(mission, leader, owner):
    """An open point addressed to Pakistan's health cluster."""
    return opened(
        mission,
        leader,
        owner,
        addressee_kind=ActionPoint.Addressee.COUNTRY_CLUSTER,
        country_cluster=health_cluster(),
    )


def refs(response) -> list[str]:
    return [point.reference for point in response.context["page"].object_list]


def url(name, *args) -> str:
    return reverse(f"missions:{name}", args=args)


def form_data(form) -> dict:
    """What a browser posts back for `form` as the page showed it."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        elif isinstance(value, datetime.date):
            data[name] = value.isoformat()
        else:
            data[name] = value
    return data


# Who sees which page ------------------------------------------------------------------------

EVERYONE = (
    "leader",
    "member",
    "owner",
    "rc_hc_pakistan",
    "hct_pakistan",
    "rc_hc_nepal",
    "hct_nepal",
    "hcss",
    "gcc",
    "task_team",
    "focal_health",
    "cci_gender",
    "outsider",
)
# The point's scope (missions.selectors.followup.action_points_visible_to).
SEE_POINT = {"leader", "member", "owner", "rc_hc_pakistan", "hct_pakistan", "hcss", "gcc"}
# The plan's: the health cluster's focal point supports it.
SEE_PLAN = (SEE_POINT - {"owner"}) | {"focal_health"}
# The mission's (the owner is not on the team and has no role in Pakistan).
SEE_MISSION = (SEE_POINT - {"owner"}) | {"task_team"}


@pytest.fixture
def followed(cast, mission, owner):
    """A point with an update carrying evidence, and a health plan with a point of its own."""
    point = opened(mission, cast["leader"], owner)
    progress_post(point, owner, text="Minutes attached.", files=[pdf()])
    plan = plan_create(mission, cast["leader"], health_cluster())
    planned = opened(mission, cast["leader"], owner, plan=plan, text="Health cluster's plan.")
    return {
        "point": point,
        "planned": planned,
        "plan": plan,
        "evidence": Evidence.objects.get(),
        "people": {**cast, "owner": owner},
    }


PAGES = {
    # name: (the URL, who gets a 200: the others get a 404)
    "tracker": (lambda f: url("tracker"), set(EVERYONE)),
    "my_points": (lambda f: url("my_points"), set(EVERYONE)),
    "calendar_settings": (lambda f: url("calendar_settings"), set(EVERYONE)),
    "tracker_mission": (lambda f: url("tracker_mission", f["point"].mission_id), SEE_MISSION),
    "action_point": (lambda f: url("action_point", f["point"].pk), SEE_POINT),
    "evidence": (lambda f: url("evidence", f["evidence"].pk), SEE_POINT),
    "plan": (lambda f: url("plan", f["plan"].pk), SEE_PLAN),
    "tracker_csv": (lambda f: url("tracker_csv"), set(EVERYONE)),
    "tracker_xlsx": (lambda f: url("tracker_xlsx"), set(EVERYONE)),
}
# Steps posted (each refuses whoever is outside the scope with a 404, see below), and the
# pages tested on their own: the edit form (403 for who sees but may not edit) and the feed.
POSTS = {
    "action_point_new": lambda f: url("action_point_new", f["point"].mission_id),
    "action_point_transition": lambda f: url("action_point_transition", f["point"].pk, "drop"),
    "action_point_progress": lambda f: url("action_point_progress", f["point"].pk),
    "action_point_edit": lambda f: url("action_point_edit", f["point"].pk),
    "points_open_all": lambda f: url("points_open_all", f["point"].mission_id),
    "points_carry": lambda f: url("points_carry", f["point"].mission_id),
    "plan_new": lambda f: url("plan_new", f["point"].mission_id),
    "plan_comment": lambda f: url("plan_comment", f["plan"].pk),
}
OWN_TESTS = {"calendar"}


def test_every_followup_url_has_a_row():
    from missions.urls.followup import urlpatterns

    names = {pattern.name for pattern in urlpatterns}
    assert names == set(PAGES) | set(POSTS) | OWN_TESTS


@pytest.mark.parametrize("page", sorted(PAGES))
def test_each_page_answers_who_may_see_it_and_404s_outside_the_scope(client, followed, page):
    address, allowed = PAGES[page]
    answers = {}
    for who in EVERYONE:
        client.force_login(followed["people"][who])
        answers[who] = client.get(address(followed)).status_code
    assert answers == {who: 200 if who in allowed else 404 for who in EVERYONE}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_each_page_asks_a_visitor_to_log_in(client, followed, page):
    response = client.get(PAGES[page][0](followed))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", sorted(POSTS))
@pytest.mark.parametrize("who", ["rc_hc_nepal", "outsider"])
def test_a_step_posted_from_outside_the_scope_is_404_and_changes_nothing(
    client, followed, name, who
):
    client.force_login(followed["people"][who])
    before = (ActionPoint.objects.count(), ImprovementPlan.objects.count())
    response = client.post(
        POSTS[name](followed), {"text": "Not mine.", "reason": "Not mine.", "points": "1"}
    )
    assert response.status_code == 404
    assert (ActionPoint.objects.count(), ImprovementPlan.objects.count()) == before
    assert not PlanComment.objects.exists()
    followed["point"].refresh_from_db()
    assert followed["point"].status == PointStatus.IN_PROGRESS


def test_the_points_table_escapes_what_was_typed_and_links_each_point(client, cast, mission, owner):
    """The table's rows are written by the view, not the template: they escape as it would."""
    owner.first_name, owner.last_name = "Aïsha", "<O'Neil>"
    owner.save()
    point = opened(
        mission,
        cast["leader"],
        owner,
        text="<script>alert(1)</script> & " + "x" * 200,
        addressee_role="<b>The HCT</b>",
        priority=ActionPoint.Priority.HIGH,
    )
    client.force_login(cast["leader"])
    for page, mission_column in (("tracker", True), ("tracker_mission", False)):
        address = url(page, mission.pk) if page == "tracker_mission" else url(page)
        html = client.get(address).content.decode()
        row = html[html.index(f'<tr id="point-{point.pk}">') :].split("</tr>")[0]
        assert f'<a href="{url("action_point", point.pk)}">{point.reference}</a>' in row
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; " in row and "<script>" not in row
        assert "x" * 200 not in row and "…" in row  # truncated at 140 characters
        assert "&lt;b&gt;The HCT&lt;/b&gt;" in row
        assert "Aïsha &lt;O&#x27;Neil&gt;" in row
        assert '<span class="hint">High priority</span>' in row
        assert f'<time datetime="{point.due_on.isoformat()}">' in row
        assert (mission.title in row) is mission_column


def test_the_tracker_lists_only_the_points_in_the_users_scope(client, followed):
    expected = {followed["point"].reference, followed["planned"].reference}
    for who in EVERYONE:
        client.force_login(followed["people"][who])
        shown = set(refs(client.get(url("tracker"))))
        if who in SEE_POINT:
            assert shown == expected, who
        elif who == "focal_health":
            assert shown == {followed["planned"].reference}
        else:
            assert shown == set(), who


def test_only_the_leader_edits_a_live_point_and_others_who_see_it_get_403(client, followed):
    address = url("action_point_edit", followed["point"].pk)
    answers = {}
    for who in EVERYONE:
        client.force_login(followed["people"][who])
        answers[who] = client.get(address).status_code
    assert answers == {
        who: 200 if who == "leader" else 403 if who in SEE_POINT else 404 for who in EVERYONE
    }


def test_the_evidence_is_a_download_that_is_never_sniffed(client, followed):
    client.force_login(followed["people"]["hct_pakistan"])
    response = client.get(url("evidence", followed["evidence"].pk))
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


# Drafting in the country ---------------------------------------------------------------------


def draft_post(owner_name="owner-wash", **overrides) -> dict:
    data = {
        "text": "Set up a joint needs assessment working group in Sindh.",
        "addressee_kind": "role",
        "addressee_role": "The HCT",
        "level": "country",
        "owner": owner_name,
        "due_on": (today() + datetime.timedelta(days=30)).isoformat(),
        "indicator": "Working group meets monthly.",
        "verification": "Minutes of its meetings.",
        "priority": "normal",
    }
    data.update(overrides)
    return data


def test_a_refused_draft_shows_the_error_at_its_field_and_keeps_what_was_typed(
    client, cast, mission, owner
):
    client.force_login(cast["member"])
    address = url("action_point_new", mission.pk)
    response = client.post(address, draft_post(addressee_role="", owner="nobody-here"))
    assert response.status_code == 400
    form = response.context["draft_form"]
    assert form.errors["owner"] == [
        "No active user has this user name: give their user name, or the e-mail address of "
        "someone new to ICSM (they will be invited to set a password)."
    ]
    # The owner was wrong first: the service has not been asked yet.
    response = client.post(address, draft_post(addressee_role=""))
    assert response.status_code == 400
    form = response.context["draft_form"]
    assert form.errors["addressee_role"] == ["Say which one."]
    assertContains(response, 'id="id_addressee_role_error"', status_code=400)
    assertContains(
        response, "Set up a joint needs assessment working group in Sindh.", status_code=400
    )
    assertContains(response, 'value="owner-wash"', status_code=400)
    assert not ActionPoint.objects.exists()

    response = client.post(address, draft_post())
    assert response.status_code == 302
    point = ActionPoint.objects.get()
    assert (point.reference, point.status, point.owner) == ("PAK-2026-01", "draft", owner)


def test_who_may_not_draft_gets_403(client, cast, mission):
    client.force_login(cast["hct_pakistan"])
    response = client.post(url("action_point_new", mission.pk), draft_post())
    assertContains(response, "Only the team drafts action points", status_code=403)
    assert not ActionPoint.objects.exists()


def test_the_leader_opens_every_complete_draft_at_once(client, cast, mission, owner):
    complete = action_point_create(mission, cast["member"], **point_fields(owner))
    incomplete = action_point_create(mission, cast["member"], **point_fields(None))
    client.force_login(cast["member"])
    assert client.post(url("points_open_all", mission.pk)).status_code == 403
    client.force_login(cast["leader"])
    response = client.post(url("points_open_all", mission.pk), follow=True)
    assertContains(response, "1 action point is open.")
    complete.refresh_from_db()
    incomplete.refresh_from_db()
    assert (complete.status, incomplete.status) == ("open", "draft")


def test_the_mission_tracker_lists_what_leaving_the_country_still_needs(
    client, cast, mission, owner
):
    Mission.objects.filter(pk=mission.pk).update(country_consultation_on=None)
    client.force_login(cast["leader"])
    response = client.get(url("tracker_mission", mission.pk))
    (step,) = response.context["checklist"]
    assert step["name"] == "leave_country"
    assert {item.field for item in step["missing"]} == {"action_points", "country_consultation_on"}
    opened(mission, cast["leader"], owner)
    Mission.objects.filter(pk=mission.pk).update(country_consultation_on=today())
    response = client.get(url("tracker_mission", mission.pk))
    assert response.context["checklist"][0]["missing"] == []
    # The Task Team sees the mission but none of its points: no list that names them.
    client.force_login(cast["task_team"])
    response = client.get(url("tracker_mission", mission.pk))
    assert response.context["checklist"] == [] and refs(response) == []


# Progress, done, verified -------------------------------------------------------------------


def test_the_owner_posts_progress_with_a_pdf_and_marks_the_point_done(client, cast, mission, owner):
    point = opened(mission, cast["leader"], owner)
    client.force_login(owner)
    response = client.post(
        url("action_point_progress", point.pk),
        {"text": "The working group met; minutes attached.", "percent": "100", "files": [pdf()]},
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.update.point, evidence.original_name) == (point, "minutes.pdf")
    page = client.get(url("action_point", point.pk))
    assertContains(page, url("evidence", evidence.pk))
    assert [step["name"] for step in page.context["steps"]] == ["complete"]

    response = client.post(
        url("action_point_transition", point.pk, "complete"), {"expected_status": "in_progress"}
    )
    assert response.status_code == 302
    point.refresh_from_db()
    assert point.status == PointStatus.DONE and point.settled()


def test_evidence_that_is_not_a_pdf_is_refused_at_its_field_with_the_text_kept(
    client, cast, mission, owner
):
    point = opened(mission, cast["leader"], owner)
    client.force_login(owner)
    fake = SimpleUploadedFile("minutes.pdf", b"<html>not a pdf</html>")
    response = client.post(
        url("action_point_progress", point.pk), {"text": "Minutes of March.", "files": [fake]}
    )
    assert response.status_code == 400
    assert "files" in response.context["progress_form"].errors
    assertContains(response, "Minutes of March.", status_code=400)
    assert not Evidence.objects.exists() and not point.updates.exists()


def test_marking_done_without_evidence_says_what_is_missing(client, cast, mission, owner):
    point = opened(mission, cast["leader"], owner)
    client.force_login(owner)
    response = client.post(
        url("action_point_transition", point.pk, "complete"), {"comment": "All done, I think."}
    )
    assert response.status_code == 400
    assert "evidence" in response.context["failed"]["missing"]
    assertContains(response, "All done, I think.", status_code=400)


def test_dropping_without_a_reason_is_shown_at_the_reason_with_the_comment_kept(
    client, cast, mission, owner
):
    point = opened(mission, cast["leader"], owner)
    client.force_login(cast["leader"])
    response = client.post(
        url("action_point_transition", point.pk, "drop"),
        {"reason": " ", "comment": "Agreed with the HCT."},
    )
    assert response.status_code == 400
    assertContains(response, 'id="reason-drop-error"', status_code=400)
    assertContains(response, "Agreed with the HCT.", status_code=400)
    point.refresh_from_db()
    assert point.status == PointStatus.OPEN


def test_the_leader_verifies_a_high_priority_point_and_the_owner_may_not(
    client, cast, mission, owner
):
    point = opened(mission, cast["leader"], owner, priority=ActionPoint.Priority.HIGH)
    progress_post(point, owner, text="Done.", files=[pdf()])
    point_transition(point, "complete", owner)
    client.force_login(owner)
    assert "verify" not in [
        s["name"] for s in client.get(url("action_point", point.pk)).context["steps"]
    ]
    response = client.post(url("action_point_transition", point.pk, "verify"))
    assert response.status_code == 403
    point.refresh_from_db()
    assert point.verified_at is None

    client.force_login(cast["leader"])
    page = client.get(url("action_point", point.pk))
    assertContains(page, "awaits verification")
    assert "verify" in [step["name"] for step in page.context["steps"]]
    response = client.post(
        url("action_point_transition", point.pk, "verify"), {"expected_status": "done"}
    )
    assert response.status_code == 302
    point.refresh_from_db()
    assert point.verified_at is not None and point.settled()
    assert (point.log.last().transition, point.log.last().user) == ("verify", cast["leader"])


def test_carrying_is_not_a_step_on_the_point_alone(client, cast, mission, owner):
    point = opened(mission, cast["leader"], owner)
    client.force_login(cast["gcc"])
    assert "carry" not in [
        s["name"] for s in client.get(url("action_point", point.pk)).context["steps"]
    ]
    assert client.post(url("action_point_transition", point.pk, "carry")).status_code == 404
    assert client.post(url("action_point_transition", point.pk, "bogus")).status_code == 404


def test_the_gcc_carries_the_chosen_points_to_the_follow_up_mission(client, cast, mission, owner):
    live = opened(mission, cast["leader"], owner)
    child = make_mission("PAK", status="approved", parent=mission, title="Pakistan follow-up")
    client.force_login(cast["gcc"])
    page = client.get(url("tracker_mission", child.pk))
    assert [p.pk for p in page.context["carry_offered"]] == [live.pk]
    response = client.post(url("points_carry", child.pk), {})
    assertContains(response, "Choose the points to carry over.", status_code=400)
    response = client.post(url("points_carry", child.pk), {"points": [str(live.pk)]})
    assert response.status_code == 302
    live.refresh_from_db()
    assert live.status == PointStatus.CARRIED
    assert live.carried_to.mission == child and live.carried_to.status == PointStatus.OPEN


# Editing, and the stale save ----------------------------------------------------------------


def test_a_stale_edit_is_refused_and_what_was_typed_is_kept(client, cast, mission, owner):
    point = opened(mission, cast["leader"], owner)
    client.force_login(cast["leader"])
    page = client.get(url("action_point_edit", point.pk))
    data = form_data(page.context["form"])
    assert data["owner"] == "owner-wash"
    data["text"] = "My rewording of the recommendation."
    # Meanwhile, in another tab: a new due date.
    action_point_update(point, cast["leader"], due_on=today() + datetime.timedelta(days=60))

    response = client.post(url("action_point_edit", point.pk), data)
    assert response.status_code == 409
    assertContains(response, "Someone changed this action point", status_code=409)
    assertContains(response, "My rewording of the recommendation.", status_code=409)
    point.refresh_from_db()
    assert point.text == "Set up a joint needs assessment working group in Sindh."

    # Having seen what is saved now, a second save replaces it.
    again = form_data(response.context["form"])
    response = client.post(url("action_point_edit", point.pk), again)
    assert response.status_code == 302
    point.refresh_from_db()
    assert point.text == "My rewording of the recommendation."


def test_an_edit_refused_by_the_service_is_shown_at_its_field(client, cast, mission, owner):
    point = opened(mission, cast["leader"], owner)
    client.force_login(cast["leader"])
    data = form_data(client.get(url("action_point_edit", point.pk)).context["form"])
    data.update(addressee_kind="organisation", text="Ask WHO to lead the working group.")
    response = client.post(url("action_point_edit", point.pk), data)
    assert response.status_code == 400
    assert response.context["form"].errors["organisation"] == ["Say which one."]
    assertContains(response, "Ask WHO to lead the working group.", status_code=400)


# Improvement plans --------------------------------------------------------------------------


def test_the_leader_records_a_plan_and_its_focal_point_comments(client, cast, mission, owner):
    cluster = health_cluster()
    client.force_login(cast["leader"])
    response = client.post(
        url("plan_new", mission.pk), {"country_cluster": cluster.pk, "summary": "Health."}
    )
    plan = ImprovementPlan.objects.get()
    assert response.status_code == 302 and response.url == url("plan", plan.pk)
    assert plan.supported_by == cast["focal_health"]
    response = client.post(url("plan_new", mission.pk), {"country_cluster": cluster.pk})
    assert response.status_code == 400
    assert response.context["plan_form"].errors["country_cluster"] == [
        "This cluster has its improvement plan already."
    ]

    opened(mission, cast["leader"], owner, plan=plan)
    client.force_login(cast["focal_health"])
    page = client.get(url("plan", plan.pk))
    assert page.context["progress"]["total"] == 1 and len(refs(page)) == 1
    response = client.post(url("plan_comment", plan.pk), {"text": ""})
    assert response.context["comment_form"].errors["text"] == ["Write your comment."]
    response = client.post(url("plan_comment", plan.pk), {"text": "We send a coordinator."})
    assert response.status_code == 302
    assert PlanComment.objects.get().author == cast["focal_health"]
    client.force_login(cast["cci_gender"])
    assert client.post(url("plan_comment", plan.pk), {"text": "Hm."}).status_code == 404


# The tracker's filters and exports ----------------------------------------------------------


@pytest.fixture
def assorted(cast, mission, owner):
    """Points of every kind on the Pakistan mission, and one of a Nepal mission."""
    leader = cast["leader"]
    health = GlobalCluster.objects.get(code="health")
    points = {
        "open": opened(mission, leader, owner),
        "cluster": opened(
            mission,
            leader,
            owner,
            addressee_kind=ActionPoint.Addressee.GLOBAL_CLUSTER,
            global_cluster=health,
            clusters=[health],
            due_on=today() + datetime.timedelta(days=5),
            text='=HYPERLINK("http://example.org/x","Click")',
        ),
        "global": action_point_create(
            mission, leader, **point_fields(owner, level=ActionPoint.Level.GLOBAL)
        ),
        "overdue": opened(mission, leader, owner, due_on=today() - datetime.timedelta(days=3)),
    }
    progress_post(points["cluster"], owner, text="Started.")
    nepal = make_mission("NPL", status="in_country", title="Nepal mission")
    nepal_leader = UserFactory(username="leader-npl")
    mission_leader_appoint(nepal, nepal_leader)
    points["nepal"] = opened(nepal, nepal_leader, owner)
    return {name: point.reference for name, point in points.items()}


def test_the_tracker_filters(client, cast, assorted):
    client.force_login(cast["gcc"])
    health = GlobalCluster.objects.get(code="health")
    in_ten_days = (today() + datetime.timedelta(days=10)).isoformat()
    expected = {
        "": {"open", "cluster", "global", "overdue", "nepal"},
        "status=open": {"open", "overdue", "nepal"},
        "status=in_progress": {"cluster"},
        "addressee=global_cluster": {"cluster"},
        f"cluster={health.pk}": {"cluster"},
        "level=global": {"global"},
        f"due_before={in_ten_days}": {"cluster", "overdue"},
        "overdue=on": {"overdue"},
        "status=open&overdue=on": {"overdue"},
    }
    for query, names in expected.items():
        response = client.get(f"{url('tracker')}?{query}")
        assert set(refs(response)) == {assorted[name] for name in names}, query
        # The pager's count is the figures' (no query of its own): the filtered points.
        assert response.context["page"].paginator.count == len(names), query
    response = client.get(f"{url('tracker')}?status=bogus&due_before=soon")
    assert set(refs(response)) == set(assorted.values())
    assert set(response.context["filter_form"].errors) == {"status", "due_before"}


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


@pytest.mark.parametrize("who", ["rc_hc_pakistan", "rc_hc_nepal", "gcc", "owner", "outsider"])
def test_the_exports_hold_exactly_the_rows_the_page_shows(client, cast, owner, assorted, who):
    client.force_login(owner if who == "owner" else cast[who])
    for query in ("", "?status=open"):
        shown = refs(client.get(url("tracker") + query))
        from_csv = csv_rows(client.get(url("tracker_csv") + query))
        from_xlsx = xlsx_rows(client.get(url("tracker_xlsx") + query))
        assert from_csv[0][0] == "Reference" and from_xlsx[0][0] == "Reference"
        assert [row[0] for row in from_csv[1:]] == shown
        assert [row[0] for row in from_xlsx[1:]] == shown
    expected = {
        "rc_hc_pakistan": 4,
        "rc_hc_nepal": 1,
        "gcc": 5,
        "owner": 5,
        "outsider": 0,
    }
    assert len(refs(client.get(url("tracker")))) == expected[who]


def test_the_exports_neutralise_formulas_and_name_the_file_safely(client, cast, mission, assorted):
    client.force_login(cast["leader"])
    query = f"?mission={mission.pk}&addressee=global_cluster"
    response = client.get(url("tracker_csv") + query)
    assert response["Content-Disposition"] == (
        f'attachment; filename="action-points-mission-to-pak-{today().isoformat()}.csv"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    (row,) = csv_rows(response)[1:]
    assert row[3] == '\'=HYPERLINK("http://example.org/x","Click")'
    (row,) = xlsx_rows(client.get(url("tracker_xlsx") + query))[1:]
    assert row[3] == '\'=HYPERLINK("http://example.org/x","Click")'
    due = row[8].date() if isinstance(row[8], datetime.datetime) else row[8]
    assert due == today() + datetime.timedelta(days=5)  # a date, not text
    # A control character that XLSX cannot hold is left out, not a failed download.
    ActionPoint.objects.filter(reference=assorted["cluster"]).update(text="Line\x0bbreak")
    (row,) = xlsx_rows(client.get(url("tracker_xlsx") + query))[1:]
    assert row[3] == "Linebreak"
    # Another country's mission: not found, as its page.
    client.force_login(cast["rc_hc_nepal"])
    assert client.get(url("tracker_csv") + f"?mission={mission.pk}").status_code == 404
    assert client.get(url("tracker_csv") + "?mission=x").status_code == 404


# The calendar ---------------------------------------------------------------------------------


def feed(client, token):
    return client.get(reverse("missions:calendar", args=[token]))


def events(response) -> dict:
    calendar = icalendar.Calendar.from_ical(response.content)
    return {
        str(event["uid"]): (event.decoded("dtstart"), event.decoded("dtend"))
        for event in calendar.walk("VEVENT")
    }


def test_the_calendar_feed_has_the_due_dates_and_the_days_in_the_country(
    client, cast, mission, owner
):
    point = opened(mission, cast["leader"], owner)
    dropped = opened(mission, cast["leader"], owner)
    point_transition(dropped, "drop", cast["leader"], reason="Overtaken.")
    client.force_login(owner)
    assertContains(client.get(url("calendar_settings")), "Make my calendar address")
    client.post(url("calendar_settings"))
    token = CalendarToken.objects.get(user=owner).token
    page = client.get(url("calendar_settings"))
    assertContains(page, f"http://127.0.0.1:8000{reverse('missions:calendar', args=[token])}")
    client.logout()

    response = feed(client, token)
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert events(response) == {
        f"action-point-{point.pk}@127.0.0.1": (
            point.due_on,
            point.due_on + datetime.timedelta(days=1),
        )
    }
    assert events(feed(client, token)) == events(response)  # stable UIDs

    client.force_login(cast["leader"])
    client.post(url("calendar_settings"))
    client.logout()
    leader_token = CalendarToken.objects.get(user=cast["leader"]).token
    assert events(feed(client, leader_token)) == {
        f"mission-{mission.pk}@127.0.0.1": (datetime.date(2026, 3, 1), datetime.date(2026, 3, 13))
    }


def test_a_revoked_or_unknown_calendar_address_is_404(client, owner):
    client.force_login(owner)
    client.post(url("calendar_settings"))
    old = CalendarToken.objects.get(user=owner).token
    response = client.post(url("calendar_settings"), follow=True)
    assertContains(response, "the one before no longer works")
    new = CalendarToken.objects.get(user=owner).token
    assert new != old and len(new) >= 40
    client.logout()
    assert feed(client, old).status_code == 404
    assert feed(client, new).status_code == 200
    assert feed(client, "not-a-token").status_code == 404
    owner.is_active = False
    owner.save()
    assert feed(client, new).status_code == 404


# The home page --------------------------------------------------------------------------------


def test_an_owner_sees_their_action_points_on_the_home_page(client, cast, mission, owner):
    opened(mission, cast["leader"], owner, due_on=today() + datetime.timedelta(days=3))
    opened(mission, cast["leader"], owner, due_on=today() - datetime.timedelta(days=1))
    client.force_login(owner)
    response = client.get("/")
    section = next(s for s in response.context["sections"] if s["title"] == "Your action points")
    assert section["count"] == 2
    assert section["empty"] == "1 due within a week, 1 overdue."
    assertContains(response, url("my_points"))
    client.force_login(cast["outsider"])
    assertNotContains(client.get("/"), "Your action points")


# Query counts ---------------------------------------------------------------------------------


def bulk_points(mission, owner, first: int, count: int) -> None:
    """`count` points straight into the table (set-up only: no runner, no log)."""
    statuses = [PointStatus.OPEN, PointStatus.IN_PROGRESS, PointStatus.DONE, PointStatus.DRAFT]
    now = timezone.now()
    points = ActionPoint.objects.bulk_create(
        [
            ActionPoint(
                mission=mission,
                number=number,
                reference=f"PAK-2026-{number:03d}",
                text=f"Recommendation {number}.",
                addressee_kind=ActionPoint.Addressee.ROLE,
                addressee_role="The HCT",
                owner=owner,
                due_on=today() + datetime.timedelta(days=number % 40 - 10),
                indicator="Indicator.",
                verification="Minutes.",
                status=statuses[number % 4],
                done_at=now if statuses[number % 4] == PointStatus.DONE else None,
            )
            for number in range(first, first + count)
        ]
    )
    health = GlobalCluster.objects.get(code="health")
    ActionPoint.clusters.through.objects.bulk_create(
        [ActionPoint.clusters.through(actionpoint=point, globalcluster=health) for point in points]
    )


@pytest.mark.parametrize("page", ["tracker", "my_points", "tracker_mission"])
def test_the_query_count_does_not_grow_with_the_points(client, cast, mission, owner, page):
    address = url(page, mission.pk) if page == "tracker_mission" else url(page)
    client.force_login(owner if page == "my_points" else cast["leader"])
    bulk_points(mission, owner, 1, 5)
    client.get(address)
    with CaptureQueriesContext(connection) as few:
        response = client.get(address)
    assert response.context["page"].paginator.count == 5
    bulk_points(mission, owner, 6, 495)
    with CaptureQueriesContext(connection) as many:
        response = client.get(address)
    assert response.context["page"].paginator.count == 500
    assert len(response.context["page"].object_list) == 50
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_my_points_are_counted_once_for_the_cards_and_the_pager(client, mission, owner):
    bulk_points(mission, owner, 1, 12)  # by turns in progress, done, draft, open
    client.force_login(owner)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("my_points"))
    counts = response.context["counts"]
    assert response.context["page"].paginator.count == counts["total"] == 12
    assert counts["open"] == 6  # open and in progress: the draft is not the owner's yet
    counting = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT(")]
    assert len([sql for sql in counting if "missions_actionpoint" in sql]) == 1, counting


def test_the_trackers_points_take_their_missions_from_the_missions_it_lists(
    client, cast, mission, owner
):
    """The tracker lists the missions the user is on; their points' rows take those. Only a
    point of another mission (one the user owns) has its mission read, by key."""
    leader = cast["leader"]
    opened(mission, leader, owner)
    client.force_login(leader)

    def mission_reads(response_queries):
        return [
            q["sql"]
            for q in response_queries.captured_queries
            if q["sql"].startswith('SELECT "missions_mission"."id"')
        ]

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("tracker"))
    assert [m.pk for m in response.context["missions"]] == [mission.pk]
    assert len(mission_reads(queries)) == 1, mission_reads(queries)  # the list's
    (point,) = response.context["page"].object_list
    assert point.mission is response.context["missions"][0]
    assertContains(response, f"{escape(mission.title)}<br>", html=False)

    nepal = make_mission("NPL", status="in_country", title="Nepal mission")
    nepal_leader = UserFactory(username="leader-npl")
    mission_leader_appoint(nepal, nepal_leader)
    opened(nepal, nepal_leader, leader)  # a point the leader owns, on a mission they are not on
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("tracker"))
    assert len(mission_reads(queries)) == 2, mission_reads(queries)
    assert {p.mission.title for p in response.context["page"].object_list} == {
        mission.title,
        "Nepal mission",
    }
    assertContains(response, "Nepal mission<br>", html=False)
    # One mission's tracker: its points' rows take the mission of the page.
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("tracker_mission", mission.pk))
    assert len(mission_reads(queries)) == 1, mission_reads(queries)  # the page's mission
    assert response.context["page"].object_list[0].mission is response.context["mission"]


def test_a_page_of_points_joins_each_points_addressee_and_owner(client, cast, mission, owner):
    """The organisation or country cluster a point is addressed to and its owner are a small
    row each, joined to the page's points: no query of their own."""
    owner.first_name, owner.last_name = "Wanjiru", "Achieng"
    owner.save()
    leader = cast["leader"]
    unicef = Organisation.objects.get(acronym="UNICEF")
    opened(
        mission,
        leader,
        owner,
        addressee_kind=ActionPoint.Addressee.ORGANISATION,
        organisation=unicef,
    )
    opened_to_health_cluster(mission, leader, owner)
    client.force_login(leader)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("tracker"))
    for shown in ("UNICEF", "Health (Pakistan)", "Wanjiru Achieng"):
        assertContains(response, shown)
    own_queries = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(
            (
                'SELECT "clusters_organisation"',
                'SELECT "clusters_countrycluster"',
                'SELECT "clusters_country"',
            )
        )
        or (q["sql"].startswith('SELECT "auth_user"') and "IN (" in q["sql"])
    ]
    assert own_queries == []
    (rows,) = [
        q["sql"] for q in queries.captured_queries if '"missions_actionpoint"."text"' in q["sql"]
    ]
    assert '"auth_user"."password"' not in rows  # the names the column shows, not the account


def test_a_cluster_the_page_had_not_read_is_read_for_its_points(cast, mission, owner):
    """The clusters a page passes (its filters', read first) may lack one added since: the
    points that name it get it all the same."""
    health = GlobalCluster.objects.get(code="health")
    read_before = {c.pk: c for c in GlobalCluster.objects.exclude(pk=health.pk)}
    point = opened(mission, cast["leader"], owner, clusters=[health])
    (shown,) = with_shared(for_display(ActionPoint.objects.filter(pk=point.pk)), None, read_before)
    assert shown.cluster_list == [health]


def test_the_tracker_reads_the_clusters_once_for_its_filters_and_its_rows(client, cast, assorted):
    client.force_login(cast["leader"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("tracker"))
    read = [q["sql"] for q in queries.captured_queries if '"clusters_globalcluster"' in q["sql"]]
    assert len(read) == 1, read
    health = GlobalCluster.objects.get(code="health")
    (row,) = [p for p in response.context["page"].object_list if p.global_cluster_id]
    assert row.addressee == "Health" and [c.code for c in row.cluster_list] == ["health"]
    names = list(GlobalCluster.objects.order_by("name").values_list("name", flat=True))
    select = response.content.decode().split('name="cluster"')[1].split("</select>")[0]
    assert [line.split(">")[1].split("<")[0] for line in select.split("<option")[1:]] == [
        "Any cluster",
        *names,
    ]
    chosen = client.get(url("tracker"), {"cluster": health.pk})
    assertContains(chosen, f'<option value="{health.pk}" selected>Health</option>', html=True)
    assert refs(chosen) == [assorted["cluster"]]
    unknown = client.get(url("tracker"), {"cluster": "999999"})
    assert "cluster" in unknown.context["filter_form"].errors


def test_my_points_are_read_in_one_query_by_the_owner_index(client, mission, owner):
    """An owner's points need no first query of their ids (the tracker's scope does): the
    page's rows, in the list's order, are one query besides the count."""
    bulk_points(mission, owner, 1, 60)
    client.force_login(owner)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("my_points"), {"page": 2})
    points = [
        q["sql"] for q in queries.captured_queries if 'FROM "missions_actionpoint"' in q["sql"]
    ]
    assert len(points) == 2, points  # the count, and the page
    expected = list(
        ActionPoint.objects.filter(owner=owner)
        .order_by("due_on", "mission_id", "number")
        .values_list("reference", flat=True)[50:]
    )
    assert refs(response) == expected


@pytest.mark.parametrize("who", ["leader", "hcss"])
def test_each_page_of_the_tracker_holds_its_points_in_the_lists_order(
    client, cast, mission, owner, who
):
    """The page's ids are skipped and LIMITed in the scope's own order, and the page's rows
    come in that order: every point once, across the pages, as the whole list has them."""
    bulk_points(mission, owner, 1, 120)
    client.force_login(cast[who])
    expected = list(
        ActionPoint.objects.order_by("due_on", "mission_id", "number").values_list(
            "reference", flat=True
        )
    )
    shown = []
    for number in (1, 2, 3):
        shown += refs(client.get(url("tracker"), {"page": number}))
    assert shown == expected
    assert refs(client.get(url("tracker"), {"page": 99})) == expected[100:]


def test_my_points_show_their_owner_without_reading_the_user_again(client, mission, owner):
    """Every point of "my action points" is the user's: the owner column is the signed-in
    user, not a read of the users for the page."""
    owner.first_name, owner.last_name = "Wanjiru", "Achieng"
    owner.save()
    bulk_points(mission, owner, 1, 3)
    client.force_login(owner)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("my_points"))
    assertContains(response, '<td data-label="Owner">Wanjiru Achieng</td>', count=3, html=False)
    users = [q["sql"] for q in queries.captured_queries if 'FROM "auth_user"' in q["sql"]]
    assert len(users) == 1, users  # the session's user, read by the authentication


def test_a_page_of_points_reads_the_clusters_it_names_once(client, cast, mission, owner):
    """The clusters a point is about, the global cluster it is addressed to and a country
    cluster's own cluster come from one read of the clusters, each built once; they show in
    the clusters' order."""
    health, wash, education = (
        GlobalCluster.objects.get(code=code) for code in ("health", "wash", "education")
    )
    leader = cast["leader"]
    about = opened(mission, leader, owner, clusters=[wash, health, education])
    to_cluster = opened(
        mission,
        leader,
        owner,
        addressee_kind=ActionPoint.Addressee.GLOBAL_CLUSTER,
        global_cluster=wash,
    )
    to_country_cluster = opened_to_health_cluster(mission, leader, owner)
    client.force_login(owner)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("my_points"))
    rows = {point.reference: point for point in response.context["page"].object_list}
    assert [c.code for c in rows[about.reference].cluster_list] == [
        "education",
        "health",
        "wash",
    ]
    assert rows[to_cluster.reference].addressee == str(wash)
    assert rows[to_country_cluster.reference].addressee == "Health (Pakistan)"
    names = ", ".join(str(cluster) for cluster in (education, health, wash))
    assertContains(response, f'<br><span class="hint">{escape(names)}</span>', html=False)
    read = [q["sql"] for q in queries.captured_queries if '"clusters_globalcluster"' in q["sql"]]
    assert len(read) == 1, read
    assert read[0].startswith('SELECT "clusters_globalcluster"."id"') and "JOIN" not in read[0]
    # The rows share the one instance of each cluster.
    assert rows[about.reference].cluster_list[2] is rows[to_cluster.reference].global_cluster


def indexed_plan(queryset) -> str:
    """The database's plan for `queryset`, PostgreSQL told to use an index wherever it can
    (a few dozen rows: a scan would do otherwise)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")
        try:
            return queryset.explain()
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("RESET enable_seqscan")


def test_who_sees_every_point_gets_a_page_of_them_by_index_not_a_sort_of_all(cast, mission, owner):
    """HCSS and the GCC see all the points: the first page in the lists' order is read off an
    index (at 100,000 points, sorting them all took 25 ms a page)."""
    bulk_points(mission, owner, 1, 60)
    ids = tracker_points(cast["hcss"], TrackerFilterForm(None).filters()).order_by(*POINT_ORDER)
    plan = indexed_plan(ids.values_list("pk", flat=True)[:50])
    assert "point_order" in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan


def test_the_tracker_finds_the_users_points_by_index_then_their_columns_by_key(
    client, cast, mission, owner
):
    """A leader's scope is their own points or their missions': an OR of two indexed
    lookups of values (the user, the missions' ids read once from their permission rows),
    not a subquery of the permission table in every query of the page; the page's columns
    are joined to its 50 ids only (a LIMITed subquery of the scope), with no GROUP BY or
    DISTINCT over whole rows."""
    bulk_points(mission, owner, 1, 60)
    leader = cast["leader"]
    client.force_login(leader)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("tracker"))
    assert len(response.context["page"].object_list) == 50
    points = [
        q["sql"] for q in queries.captured_queries if 'FROM "missions_actionpoint"' in q["sql"]
    ]
    scoped = [
        sql
        for sql in points
        if '"missions_actionpoint"."owner_id" = ' in sql
        and '"missions_actionpoint"."text"' not in sql
    ]
    # The figures in one query (which count the pager's points too).
    assert len(scoped) == 1, points
    for sql in scoped:
        assert f'"missions_actionpoint"."mission_id" IN ({mission.pk})' in sql, sql
        assert "UNION" not in sql and "objectpermission" not in sql, sql
        assert "DISTINCT" not in sql and "JOIN" not in sql, sql
    own_rows = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"]
        .lstrip("(")
        .startswith('SELECT "missions_missionuserobjectpermission"."content_object_id"')
    ]
    assert len(own_rows) == 1, "the user's own permission rows are read once"
    (columns,) = [sql for sql in points if '"missions_actionpoint"."text"' in sql]
    assert "UNION" not in columns and "DISTINCT" not in columns
    assert 'GROUP BY "missions_actionpoint"' not in columns
    outer, ids = columns.split('"missions_actionpoint"."id" IN (SELECT', 1)
    assert "LIMIT 50" in ids and '"owner_id" = ' in ids and "JOIN" not in ids, columns
    assert "LIMIT 50" not in outer
    # The long texts and times are the point page's and the exports', not the table's.
    assert '"missions_actionpoint"."indicator"' not in columns
    assert '"missions_actionpoint"."updated_at"' not in columns
    # The OR is read from the owner's and the mission's indexes, not by reading every point.
    plan = indexed_plan(tracker_points(leader, TrackerFilterForm(None).filters()).values("pk"))
    if connection.vendor == "postgresql":
        assert "BitmapOr" in plan and "owner_id" in plan and "mission_id" in plan, plan
    else:
        assert "MULTI-INDEX OR" in plan, plan


def test_a_country_roles_points_are_a_union_of_indexed_lookups(client, cast, mission, owner):
    """With a country's role, its missions' points join the scope as a subquery: then a
    UNION of one indexed lookup per way of seeing a point (an OR with a subquery reads
    every point of every mission)."""
    bulk_points(mission, owner, 1, 5)
    RoleAssignment.objects.create(
        user=cast["leader"], role=Role.HCT_MEMBER, country=mission.country
    )
    scope = str(tracker_points(cast["leader"], TrackerFilterForm(None).filters()).query)
    assert scope.count("UNION") == 1, scope
    assert "objectpermission" not in scope, scope


# The tracker's figures ----------------------------------------------------------------------


def test_the_tracker_counts_points_by_addressee_and_status(client, cast, assorted):
    client.force_login(cast["rc_hc_pakistan"])
    response = client.get(url("tracker"))
    table = {
        row["addressee"]: {status: n for status, _label, n in row["counts"] if n}
        for row in response.context["by_addressee"]
    }
    assert table == {
        "A role (e.g. the RC/HC, the HCT)": {"draft": 1, "open": 2},
        "A global cluster": {"in_progress": 1},
    }
    assertContains(response, 'id="points-by-addressee-0"')
    assertContains(response, '<th scope="row" data-label="Addressed to">A global cluster</th>')


def test_the_figures_section_is_drawn_once_for_the_same_figures(client, cast, mission, owner):
    """The section is drawn from the figures and the language alone: the same figures (in
    another user's page too) take the section drawn before; a point that moves, or another
    language, draws it anew."""
    from missions.views.followup import FIGURES

    point = opened(mission, cast["leader"], owner)
    client.force_login(cast["leader"])
    FIGURES.clear()
    first = client.get(url("tracker"))
    assert FIGURES.misses == 1
    client.force_login(cast["hcss"])  # every point is the leader's: the same figures
    again = client.get(url("tracker"))
    assert FIGURES.hits == 1 and FIGURES.misses == 1
    section = first.content.decode().split('id="by-addressee-title"')[1]
    assert section == again.content.decode().split('id="by-addressee-title"')[1]
    assertContains(again, '<td data-label="Open">1</td>', html=True)
    progress_post(point, owner, text="Started.")  # the first update starts the point
    moved = client.get(url("tracker"))
    assert FIGURES.misses == 2
    assertContains(moved, '<td data-label="In progress">1</td>', html=True)
    assertNotContains(moved, '<td data-label="Open">1</td>', html=True)
    french = client.get(url("tracker"), HTTP_ACCEPT_LANGUAGE="fr")
    assert FIGURES.misses == 3
    assertContains(french, "Points d’action")


def test_the_filters_are_drawn_once_for_what_was_typed_and_the_clusters(client, cast, mission):
    """The filters' form is drawn from what was typed in it, the clusters' names and the
    language: the same draw the form kept; a value typed otherwise (a wrong date, with its
    message), a cluster renamed or another page's filters are drawn anew."""
    from missions.views.followup import FILTERS

    client.force_login(cast["leader"])
    FILTERS.clear()
    client.get(url("tracker"), {"page": 2})
    client.get(url("tracker"), {"page": 3})  # the page is not a filter
    assert (FILTERS.hits, FILTERS.misses) == (1, 1)
    wrong = client.get(url("tracker"), {"due_before": "soon"})
    assert FILTERS.misses == 2
    assertContains(wrong, "Give a date (YYYY-MM-DD).")
    assertContains(wrong, 'value="soon"')
    again = client.get(url("tracker"), {"due_before": "soon"})
    assert FILTERS.hits == 2
    assertContains(again, "Give a date (YYYY-MM-DD).")
    health = GlobalCluster.objects.get(code="health")
    health.name = "Health and nutrition"
    health.save()
    renamed = client.get(url("tracker"))
    assert FILTERS.misses == 3
    assertContains(renamed, ">Health and nutrition</option>")
    client.get(url("tracker_mission", mission.pk))
    assert FILTERS.misses == 4


def test_a_point_done_this_month_is_in_the_last_bar(client, cast, mission, owner):
    point = opened(mission, cast["leader"], owner)
    progress_post(point, owner, text="Done.", files=[pdf()])
    point_transition(point, "complete", owner)
    client.force_login(cast["leader"])
    done = client.get(url("tracker")).context["done_by_month"]
    assert len(done) == 12
    assert done[-1][1] == 1


def test_every_point_unfiltered_is_read_from_the_tally_with_the_same_figures(
    client, cast, mission, owner
):
    """HCSS sees every point: its figures come from the database's tally (by addressee and
    status) and one narrow count (done by month), not a pass over every row, and say what
    the leader's say."""
    point = opened(mission, cast["leader"], owner)
    progress_post(point, owner, text="Done.", files=[pdf()])
    point_transition(point, "complete", owner)
    bulk_points(mission, owner, 10, 12)
    client.force_login(cast["leader"])
    scoped = client.get(url("tracker")).context
    client.force_login(cast["hcss"])
    with CaptureQueriesContext(connection) as queries:
        everything = client.get(url("tracker")).context
    for key in ("by_addressee", "done_by_month", "points_total"):
        assert everything[key] == scoped[key], key
    assert everything["done_by_month"][-1][1] == 1 + 3  # the bulk points done today too
    counting = [
        q["sql"]
        for q in queries.captured_queries
        if 'AS "n" FROM "missions_actionpoint"' in q["sql"]
    ]
    assert len(counting) == 1, counting  # the months done
    assert "COUNT(*)" in counting[0] and "addressee_kind" not in counting[0], counting
    assert [q for q in queries.captured_queries if 'FROM "missions_pointtally"' in q["sql"]]
    # A filter narrows the points first: one query again.
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("tracker"), {"addressee": "role"})
    counting = [
        q["sql"]
        for q in queries.captured_queries
        if 'AS "n" FROM "missions_actionpoint"' in q["sql"]
    ]
    assert len(counting) == 1, counting
    assert response.context["done_by_month"][-1][1] == 1 + 3


# Accessibility --------------------------------------------------------------------------------


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.labels = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "label" and attrs.get("for"):
            self.labels.append(attrs["for"])


@pytest.mark.parametrize("page", ["tracker", "tracker_mission", "action_point", "plan"])
def test_each_id_is_unique_and_each_label_points_at_a_field(client, followed, page):
    address = {
        "tracker": url("tracker"),
        "tracker_mission": url("tracker_mission", followed["point"].mission_id),
        "action_point": url("action_point", followed["point"].pk),
        "plan": url("plan", followed["plan"].pk),
    }[page]
    client.force_login(followed["people"]["leader"])
    parser = _Ids()
    parser.feed(client.get(address).content.decode())
    duplicates = {i for i in parser.ids if parser.ids.count(i) > 1}
    assert not duplicates
    assert set(parser.labels) <= set(parser.ids)


def test_the_mission_page_and_the_menu_link_to_the_follow_up(client, cast, mission):
    client.force_login(cast["leader"])
    response = client.get(reverse("missions:detail", args=[mission.pk]))
    assertContains(response, f'href="{url("tracker_mission", mission.pk)}"')
    assertContains(response, f'href="{url("tracker")}"')
    assertContains(response, f'href="{url("my_points")}"')
