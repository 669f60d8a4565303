"""The planning page: where a mission stands on its way to `ready`, as a live checklist."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from clusters.models import CrossCuttingIssue
from missions.models import Election, IssueCoverage, LogisticsEntry, Mission
from missions.services.lessons import lesson_add
from missions.services.planning import readiness
from tests.factories import make_member, make_mission, make_ready_to_confirm


def planning_url(mission) -> str:
    return reverse("missions:planning", args=[mission.pk])


def step_names(response) -> dict[str, bool]:
    return {step["name"]: step["done"] for step in response.context["readiness"]}


class TestReadiness:
    def test_a_fresh_mission_lists_every_step_of_confirm_ready_as_not_done(self, client, cast):
        mission = make_mission("PAK", status="in_planning")
        client.force_login(cast["gcc"])
        response = client.get(planning_url(mission))
        assert step_names(response) == {
            "tor_final": False,
            "team_confirmed": False,
            "leader_elected": False,
            "issues_covered": True,  # the request asked for no cross-cutting issue
            "logistics_complete": False,
        }
        assertContains(response, "Mark the Terms of Reference final.")
        assertContains(
            response, 'type="submit" disabled>Confirm ready to deploy</button>', html=False
        )

    def test_the_steps_follow_the_guards_of_confirm_ready(self, cast):
        mission = make_mission("PAK", status="in_planning")
        guards = Mission.confirm_ready._django_fsm.get_transition("in_planning").conditions
        assert [step["name"] for step in readiness(mission)] == [g.__name__ for g in guards]

    def test_when_everything_is_in_place_the_gcc_confirms_from_the_page(self, client, cast):
        mission = make_mission("PAK", status="in_planning")
        mission.requested_issues.add(CrossCuttingIssue.objects.get(code="gender"))
        make_ready_to_confirm(mission)
        client.force_login(cast["gcc"])
        response = client.get(planning_url(mission))
        assert response.context["ready"]
        assertContains(response, "Everything is in place")
        assertNotContains(response, "disabled>Confirm ready")
        response = client.post(
            reverse("missions:transition", args=[mission.pk, "confirm_ready"]),
            {"expected_status": "in_planning"},
        )
        mission.refresh_from_db()
        assert mission.status == "ready"

    def test_each_part_shows_its_state(self, client, cast):
        mission = make_mission("PAK", status="in_planning")
        mission.requested_issues.add(CrossCuttingIssue.objects.get(code="gender"))
        make_ready_to_confirm(mission)
        client.force_login(cast["rc_hc_pakistan"])
        response = client.get(planning_url(mission))
        assert response.context["team"]["size"] == 2
        assert response.context["election"]["winner"] is not None
        assert response.context["coverage"]["covered"] == 1
        assert response.context["logistics"]["complete"]
        # The country reads the page; only the GCC may take the step.
        assert response.context["transitions"] == []

    def test_an_approved_mission_shows_why_planning_cannot_start_yet(self, client, cast):
        mission = make_mission("PAK", status="approved", decision_communicated_at=None)
        client.force_login(cast["gcc"])
        response = client.get(planning_url(mission))
        [step] = response.context["transitions"]
        assert step["name"] == "start_planning"
        assertContains(response, "has not been communicated")


class TestScope:
    @pytest.mark.parametrize("who", ["rc_hc_nepal", "hct_nepal", "outsider", "focal_health"])
    def test_out_of_scope_users_get_404(self, client, cast, who):
        mission = make_mission("PAK", status="in_planning")
        client.force_login(cast[who])
        assert client.get(planning_url(mission)).status_code == 404

    def test_an_invited_focal_point_and_a_team_member_read_it(self, client, cast):
        mission = make_mission("PAK", status="in_planning")
        member = make_member(mission, "amina")
        client.force_login(member.participant)
        assert client.get(planning_url(mission)).status_code == 200
        client.force_login(cast["focal_health"])  # make_member invited the Health cluster
        assert client.get(planning_url(mission)).status_code == 200

    def test_the_mission_page_links_to_planning_from_the_approval_on(self, client, cast):
        draft = make_mission("PAK")
        approved = make_mission("PAK", status="approved")
        client.force_login(cast["rc_hc_pakistan"])
        link = planning_url(approved)
        assertContains(client.get(reverse("missions:detail", args=[approved.pk])), link)
        assertNotContains(
            client.get(reverse("missions:detail", args=[draft.pk])), planning_url(draft)
        )


def test_lessons_of_the_same_country_come_first(client, cast):
    mission = make_mission("PAK", status="in_planning")
    nepal = make_mission("NPL", status="closed", title="Nepal earlier")
    pakistan = make_mission("PAK", status="closed", title="Pakistan earlier")
    lesson_add(nepal, cast["gcc"], kind="lesson", title="From Nepal", text="Text.")
    lesson_add(pakistan, cast["gcc"], kind="lesson", title="From Pakistan", text="Text.")
    client.force_login(cast["gcc"])
    response = client.get(planning_url(mission))
    assert [lesson.title for lesson in response.context["lessons"]] == [
        "From Pakistan",
        "From Nepal",
    ]


def test_the_page_runs_the_same_queries_for_3_and_30_participants(client, cast):
    def build(size: int) -> Mission:
        mission = make_mission("PAK", status="in_planning")
        mission.requested_issues.add(CrossCuttingIssue.objects.get(code="gender"))
        make_ready_to_confirm(mission)
        extra = [make_member(mission, f"m{mission.pk}-{i}") for i in range(size - 2)]
        entries = LogisticsEntry.objects.filter(mission=mission, participant__isnull=False)
        item_ids = set(entries.values_list("item_id", flat=True))
        LogisticsEntry.objects.bulk_create(
            LogisticsEntry(mission=mission, item_id=item, participant=member, status="todo")
            for item in item_ids
            for member in extra
        )
        IssueCoverage.objects.filter(mission=mission).update(mode="represented", member=extra[0])
        assert Election.objects.filter(mission=mission).count() == 1
        return mission

    client.force_login(cast["gcc"])

    def count(mission) -> int:
        client.get(planning_url(mission))  # warm per-process caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(planning_url(mission)).status_code == 200
        return len(queries)

    small, large = build(3), build(30)
    assert count(small) == count(large)


def test_the_page_evaluates_each_guard_of_confirm_ready_once(client, cast, monkeypatch):
    from collections import Counter

    from missions.workflow import Guard

    mission = make_mission("PAK", status="in_planning")
    make_ready_to_confirm(mission)
    calls = Counter()
    real = Guard.missing

    def counted(self, obj):
        calls[self.__name__] += 1
        return real(self, obj)

    monkeypatch.setattr(Guard, "missing", counted)
    client.force_login(cast["gcc"])
    response = client.get(planning_url(mission))
    assert response.context["ready"]
    assert [t["name"] for t in response.context["transitions"]] == ["confirm_ready"]
    guards = Mission.confirm_ready._django_fsm.get_transition("in_planning").conditions
    assert {name: calls[name] for name in (g.__name__ for g in guards)} == {
        g.__name__: 1 for g in guards
    }


def test_the_page_reads_what_the_checklist_and_the_overviews_share_once(client, cast):
    """The confirm_ready guards and the overviews beside them read the team, the logistics
    entries, the checklist, the relevant issues and their coverage, the ToR: once each."""
    mission = make_mission("PAK", status="in_planning")
    mission.requested_issues.add(CrossCuttingIssue.objects.get(code="gender"))
    make_ready_to_confirm(mission)
    client.force_login(cast["gcc"])
    client.get(planning_url(mission))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(planning_url(mission))
    assert response.context["ready"] and response.context["logistics"]["complete"]
    assert response.context["coverage"]["complete"]
    for table in (
        'FROM "missions_logisticsentry"',
        'FROM "missions_checklistitem"',
        'FROM "missions_issuecoverage"',
        'FROM "clusters_crosscuttingissue"',
        '"missions_termsofreference"',
    ):
        assert len([q for q in queries if table in q["sql"]]) == 1, table
    assert response.context["tor"]["final"]
    accepted = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('SELECT "missions_nomination"."id"') and "accepted" in q["sql"]
    ]
    assert len(accepted) == 1, accepted


def test_a_guard_outside_the_page_reads_the_rows_as_they_are_now(cast):
    """What the page read once does not outlive it: a guard evaluated afterwards (as the
    runner does, under its lock) reads the database again."""
    from missions.models.mission import logistics_complete
    from missions.workflow import shared_reads

    mission = make_mission("PAK", status="in_planning")
    make_ready_to_confirm(mission)
    with shared_reads():
        assert logistics_complete.check(mission) == []
        LogisticsEntry.objects.filter(mission=mission).update(status="todo")
        assert logistics_complete.check(mission) == []  # the page's own reading
    assert logistics_complete.check(mission) != []
