"""The demo: `load_demo` gives a usable, repeatable data set whose histories are true."""

import datetime
import io
from collections import Counter
from itertools import pairwise

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from clusters.models import RoleAssignment
from missions.demo.load import DEMO_PASSWORD
from missions.models import ActionPoint, Mission, Notification, TransitionLog
from missions.models.followup import PointStatus
from missions.selectors.missions import missions_visible_to

HISTORICAL = {
    "Sudan 2009: inter-cluster support mission": "SDN",
    "Pakistan 2009: diagnostic mission": "PAK",
    "Pakistan 2010: follow-up mission": "PAK",
    "Colombia June 2010: inter-cluster support mission": "COL",
    "Nepal July 2010: inter-cluster support mission": "NPL",
}
CURRENT_STATES = {
    "draft",
    "submitted",
    "in_triage",
    "with_task_team",
    "deferred",
    "declined",
    "approved",
    "in_planning",
}
DEMO_USERNAMES = [
    "hcss",
    "taskteam",
    "gcc",
    "rchc-pakistan",
    "rchc-nepal",
    "hct-pakistan",
    "focal-health",
    "cci-gender",
]


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    return {
        "users": get_user_model().objects.count(),
        "missions_by_status": Counter(Mission.objects.values_list("status", flat=True)),
        "log_rows": TransitionLog.objects.count(),
        "role_assignments": RoleAssignment.objects.count(),
        "missions": set(Mission.objects.values_list("title", "status")),
    }


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    """The demo, loaded once for this module's tests (it takes seconds), inside a transaction
    rolled back after them: the rest of the suite never sees it."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_data, db):
    """Each test runs in a savepoint inside the demo's transaction."""


def test_loading_the_demo_twice_gives_the_same_data(db):
    load_demo()
    first = snapshot()
    load_demo()
    assert snapshot() == first
    assert first["missions"]  # the comparison compared something


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_demo_user_can_log_in_with_the_demo_password(demo, client, username):
    assert client.login(username=username, password=DEMO_PASSWORD)


def test_demo_password_still_works_after_loading_again(demo, client):
    load_demo()
    assert client.login(username="rchc-pakistan", password=DEMO_PASSWORD)


def test_demo_users_hold_their_roles(demo):
    roles = {
        (a.user.username, a.role, a.scope) for a in RoleAssignment.objects.select_related("user")
    }
    assert {
        ("hcss", "hcss", ""),
        ("taskteam", "task_team", ""),
        ("gcc", "gcc", ""),
        ("rchc-pakistan", "rc_hc", "Pakistan"),
        ("rchc-nepal", "rc_hc", "Nepal"),
        ("hct-pakistan", "hct_member", "Pakistan"),
        ("focal-health", "cluster_focal_point", "Health"),
        ("cci-gender", "cci_focal_point", "Gender"),
    } <= roles


def test_the_five_historical_missions_are_there_and_closed(demo):
    missions = {m.title: m for m in Mission.objects.filter(title__in=HISTORICAL)}
    assert {title: m.country.code for title, m in missions.items()} == HISTORICAL
    assert {m.status for m in missions.values()} == {"closed"}
    follow_up = missions["Pakistan 2010: follow-up mission"]
    assert follow_up.mission_type == Mission.Type.FOLLOW_UP
    assert follow_up.parent == missions["Pakistan 2009: diagnostic mission"]


def test_there_is_a_current_mission_in_each_early_state(demo):
    current = Mission.objects.exclude(title__in=HISTORICAL)
    assert set(current.values_list("status", flat=True)) >= CURRENT_STATES


def test_each_mission_got_to_its_state_through_the_runner(demo):
    """Its log is a chain of steps from draft to the state it is in."""
    missions = Mission.objects.all()
    assert missions.exclude(status="draft").count() >= 12
    for mission in missions:
        chain = list(mission.log.order_by("at", "pk").values_list("source", "target"))
        if not chain:
            assert mission.status == "draft", f"{mission.title} has no log"
            continue
        assert chain[0][0] == "draft", mission.title
        for (_, reached), (left, _) in pairwise(chain):
            assert left == reached, f"{mission.title}: broken chain {chain}"
        assert chain[-1][1] == mission.status, mission.title


def test_no_demo_date_breaks_the_rules_the_forms_apply(demo):
    """The HCT agrees before the request goes in and never in the future; a request asks for
    dates after it was submitted; a consultation recorded has taken place."""
    today = timezone.localdate()
    for mission in Mission.objects.exclude(hct_endorsed_on=None):
        submit = mission.log.filter(transition="submit").order_by("at").first()
        assert mission.hct_endorsed_on <= today, mission.title
        if submit is not None:
            submitted_on = timezone.localdate(submit.at)
            assert mission.hct_endorsed_on <= submitted_on, mission.title
            assert mission.preferred_start > submitted_on, mission.title
    for mission in Mission.objects.exclude(country_consultation_on=None):
        assert mission.country_consultation_on <= today, mission.title


def test_the_demo_has_a_request_returned_with_questions(demo):
    returned = Mission.objects.get(status="draft", revision_questions__gt="")
    assert returned.log.last().transition == "return_for_revision"
    assert returned.log.last().reason == returned.revision_questions


def test_pakistans_rc_hc_sees_pakistans_demo_missions_only(demo):
    User = get_user_model()
    pakistan = set(
        missions_visible_to(User.objects.get(username="rchc-pakistan")).values_list(
            "country__code", flat=True
        )
    )
    assert pakistan == {"PAK"}


def test_load_demo_is_refused_where_demo_data_is_not_allowed(db, settings):
    settings.DEMO_DATA_ALLOWED = False
    # (Counted, not "none at all": this module's other tests share one loaded demo.)
    before = (Mission.objects.count(), get_user_model().objects.count())
    with pytest.raises(CommandError, match="not allowed"):
        load_demo()
    assert (Mission.objects.count(), get_user_model().objects.count()) == before


class TestFollowUp:
    """The demo shows the follow-up at work: points on every mission that took place, plans,
    points carried to a follow-up mission, and a current mission with points to chase."""

    def test_every_mission_that_took_place_has_settled_action_points(self, demo):
        for mission in Mission.objects.filter(title__in=HISTORICAL):
            points = list(mission.action_points.all())
            assert points, mission.title
            team = points[0].team_ids()
            assert all(point.settled(team) for point in points), mission.title

    def test_pakistan_2009s_diagnostic_produced_improvement_plans(self, demo):
        diagnostic = Mission.objects.get(title="Pakistan 2009: diagnostic mission")
        plans = diagnostic.improvement_plans.all()
        assert plans.count() >= 3
        assert all(plan.points.exists() for plan in plans)

    def test_pakistan_2010_took_over_the_open_points_of_2009(self, demo):
        follow_up = Mission.objects.get(title="Pakistan 2010: follow-up mission")
        carried = ActionPoint.objects.filter(mission=follow_up, carried_from__isnull=False)
        assert carried.count() == 2
        assert {p.carried_from.mission.title for p in carried} == {
            "Pakistan 2009: diagnostic mission"
        }
        assert all(p.carried_from.status == PointStatus.CARRIED for p in carried)

    def test_some_points_were_done_with_evidence_and_some_dropped_with_a_reason(self, demo):
        done = ActionPoint.objects.filter(status=PointStatus.DONE, updates__evidence__isnull=False)
        assert done.exists()
        dropped = ActionPoint.objects.filter(status=PointStatus.DROPPED)
        assert dropped.exists() and not dropped.filter(drop_reason="").exists()

    def test_a_current_mission_in_follow_up_has_overdue_due_soon_and_done_points(self, demo):
        today = timezone.localdate()
        mission = Mission.objects.get(status="follow_up")
        points = mission.action_points.all()
        live = points.filter(status__in=("open", "in_progress"))
        assert live.filter(due_on__lt=today).exists()
        assert live.filter(due_on__gte=today, due_on__lte=today + datetime.timedelta(7)).exists()
        assert points.filter(status=PointStatus.DONE).exists()
        owner = get_user_model().objects.get(username="owner-wash")
        assert points.filter(owner=owner).count() == points.count()

    def test_the_reminders_of_the_overdue_points_went_out(self, demo):
        mission = Mission.objects.get(status="follow_up")
        overdue = mission.action_points.filter(
            status__in=("open", "in_progress"), due_on__lt=timezone.localdate()
        )
        assert all(point.reminders.exists() for point in overdue)
        assert not Notification.objects.filter(email_state="pending").exists()


class TestReports:
    """The demo ends the procedure as it should end: the historical missions' final reports
    went to their lists and are public; a current mission is writing its report."""

    def test_the_historical_reports_are_final_distributed_and_published(self, demo, client):
        from reports.models import Delivery, Publication, PublicationStatus

        for mission in Mission.objects.filter(title__in=HISTORICAL):
            final = mission.report.final_version
            assert final is not None, mission.title
            listed = set(mission.report_recipients.values_list("email", flat=True))
            assert listed, mission.title
            sent = set(
                Delivery.objects.filter(mission=mission, version=final.number).values_list(
                    "email", flat=True
                )
            )
            assert sent == listed, mission.title
            publication = Publication.objects.get(mission=mission)
            assert (publication.status, publication.version) == (
                PublicationStatus.PUBLISHED,
                final.number,
            )
        page = client.get("/reports/").content.decode()
        for title in HISTORICAL:
            assert title in page

    def test_a_current_mission_is_reporting_with_a_draft(self, demo):
        mission = Mission.objects.get(status="reporting")
        assert mission.report.versions.exists()
        assert mission.report.final_version is None
        assert mission.report.versions.first().findings.exists()
