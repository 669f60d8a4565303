"""The state machine through the one runner: who may take each step, guards, the log."""

import datetime

import pytest
from django.db import transaction

from clusters.models import CrossCuttingIssue
from missions.models import TRANSITION_NAMES, Mission, Nomination, TermsOfReference
from missions.services.mission import mission_transition
from missions.services.permissions import mission_leader_appoint
from missions.workflow import (
    MissionNotFound,
    StaleTransition,
    Status,
    TransitionError,
    TransitionNotPermitted,
    TransitionRefused,
    after_transition,
)
from tests.factories import (
    make_final_report,
    make_member,
    make_mission,
    make_open_point,
    make_ready_to_confirm,
)


def future() -> str:
    """A revisit date a month from the day the test runs."""
    return (datetime.date.today() + datetime.timedelta(days=30)).isoformat()


# transition: (a state it leaves, the state it reaches, inputs it needs)
ROUTES = {
    "submit": ("draft", "submitted", {}),
    "start_triage": ("submitted", "in_triage", {}),
    "return_for_revision": ("in_triage", "draft", {"reason": "Which districts?"}),
    "forward": ("in_triage", "with_task_team", {}),
    "approve": ("with_task_team", "approved", {}),
    "decline": ("with_task_team", "declined", {"reason": "Out of scope."}),
    "defer": ("with_task_team", "deferred", {"reason": "No capacity.", "revisit_on": future}),
    "reconsider": ("deferred", "with_task_team", {}),
    "start_planning": ("approved", "in_planning", {}),
    "confirm_ready": ("in_planning", "ready", {}),
    "deploy": ("ready", "in_country", {}),
    "leave_country": ("in_country", "reporting", {}),
    "distribute_report": ("reporting", "follow_up", {}),
    "close": ("follow_up", "closed", {}),
    "cancel": ("approved", "cancelled", {"reason": "The situation changed."}),
}

# The cast, with a member of the team of the mission in Pakistan. Both missions have a team
# nominated through the Health cluster's invitation, so Health's focal point sees both.
CAST = [
    "rc_hc_pakistan",
    "rc_hc_nepal",
    "hct_pakistan",
    "hct_nepal",
    "hcss",
    "task_team",
    "gcc",
    "focal_health",
    "cci_gender",
    "leader",
    "outsider",
    "team_member",
]

# Who sees the mission of each scope: "own" is in Pakistan (with its leader and team member),
# "other" in Nepal. The rest of the cast is told the mission does not exist (MissionNotFound).
SEES = {
    "own": {
        "rc_hc_pakistan",
        "hct_pakistan",
        "hcss",
        "task_team",
        "gcc",
        "focal_health",
        "leader",
        "team_member",
    },
    "other": {"rc_hc_nepal", "hct_nepal", "hcss", "task_team", "gcc", "focal_health"},
}

# Who may take each transition: (on the mission in Pakistan, on the one in Nepal). Those who
# see the mission but may not take the step are refused (TransitionNotPermitted).
ALLOWED = {
    "submit": ({"rc_hc_pakistan"}, {"rc_hc_nepal"}),
    "start_triage": ({"hcss"}, {"hcss"}),
    "return_for_revision": ({"hcss"}, {"hcss"}),
    "forward": ({"hcss"}, {"hcss"}),
    "approve": ({"task_team"}, {"task_team"}),
    "decline": ({"task_team"}, {"task_team"}),
    "defer": ({"task_team"}, {"task_team"}),
    "reconsider": ({"task_team"}, {"task_team"}),
    "start_planning": ({"gcc"}, {"gcc"}),
    "confirm_ready": ({"gcc"}, {"gcc"}),
    "deploy": ({"gcc"}, {"gcc"}),
    # The leader leads the mission in Pakistan only.
    "leave_country": ({"leader"}, set()),
    "distribute_report": ({"leader"}, set()),
    "close": ({"leader"}, set()),
    "cancel": ({"rc_hc_pakistan", "hcss"}, {"rc_hc_nepal", "hcss"}),
}
SCOPES = ("own", "other")
# A draft nobody has submitted yet is seen by its country alone (its RC/HC office and HCT).
COUNTRY = {"own": {"rc_hc_pakistan", "hct_pakistan"}, "other": {"rc_hc_nepal", "hct_nepal"}}


def sees(name: str, scope: str, actor: str) -> bool:
    if ROUTES[name][0] == "draft":
        return actor in COUNTRY[scope]
    return actor in SEES[scope]


def test_every_transition_has_a_row_in_the_matrix():
    assert set(ROUTES) == set(TRANSITION_NAMES) == set(ALLOWED)


def test_those_allowed_a_step_see_the_mission():
    for name, allowed in ALLOWED.items():
        for scope, actors in zip(SCOPES, allowed, strict=True):
            assert all(sees(name, scope, actor) for actor in actors), (name, scope)


def test_every_status_is_reachable_in_the_routes():
    reached = {target for _, target, _ in ROUTES.values()} | {"draft"}
    assert reached == set(Status.values)


def expected_outcome(name: str, scope: str, actor: str) -> str:
    """What the runner does with `actor`'s step: it is "taken", or refused as "can see but may
    not act" (TransitionNotPermitted) or as "cannot see" (MissionNotFound)."""
    if actor in ALLOWED[name][SCOPES.index(scope)]:
        return "taken"
    if sees(name, scope, actor):
        return TransitionNotPermitted.__name__
    return MissionNotFound.__name__


def mission_for_the_matrix(country: str, name: str, member: str) -> tuple[Mission, Nomination]:
    """A mission where `name` starts, with a member of its team nominated through Health."""
    mission = make_mission(country, status=ROUTES[name][0])
    if name == "leave_country":
        make_open_point(mission)
    if name == "distribute_report":
        make_final_report(mission)
    if name != "confirm_ready":
        return mission, make_member(mission, member)
    # Ready to confirm, with a team of its own (through Health) whose first member was
    # elected: the member here is the other one.
    make_ready_to_confirm(mission)
    return mission, mission.nominations.order_by("pk").last()


def attempt(mission: Mission, name: str, user) -> str:
    """Take step `name` as `user`: "taken" (at its target, with its log row) or the name of
    the refusal (and nothing changed)."""
    source, target, inputs = ROUTES[name]
    inputs = {key: value() if callable(value) else value for key, value in inputs.items()}
    try:
        log = mission_transition(mission.pk, name, user, **inputs)
    except (TransitionNotPermitted, MissionNotFound) as refusal:
        current = Mission.objects.get(pk=mission.pk)
        assert (current.status, current.log.exists()) == (source, False)
        return type(refusal).__name__
    assert (log.source, log.target, log.user) == (source, target, user)
    assert Mission.objects.get(pk=mission.pk).status == target
    return "taken"


@pytest.mark.parametrize("name", TRANSITION_NAMES)
def test_permission_matrix(cast, name):
    """Every cell (scope × actor) of one transition, each tried in a savepoint rolled back
    afterwards, so that every actor meets the mission in the same state."""
    own, member = mission_for_the_matrix("PAK", name, "team-member")
    other, _ = mission_for_the_matrix("NPL", name, "member-nepal")
    mission_leader_appoint(own, cast["leader"])
    users = {**cast, "team_member": member.participant}

    wrong = []
    for scope, mission in (("own", own), ("other", other)):
        for actor in CAST:
            with transaction.atomic():
                outcome = attempt(mission, name, users[actor])
                transaction.set_rollback(True)
            wanted = expected_outcome(name, scope, actor)
            if outcome != wanted:
                wrong.append(f"{actor} on the {scope} mission: {outcome}, expected {wanted}")
    assert not wrong, "\n".join(wrong)


def test_rc_hc_of_another_country_is_told_the_mission_does_not_exist(cast):
    mission = make_mission("PAK")
    with pytest.raises(MissionNotFound):
        mission_transition(mission, "submit", cast["rc_hc_nepal"])


def test_leader_of_one_mission_cannot_lead_another(cast):
    led = make_mission("PAK", status="in_country")
    other = make_mission("PAK", status="in_country")
    make_open_point(led)
    mission_leader_appoint(led, cast["leader"])
    with pytest.raises(MissionNotFound):
        mission_transition(other, "leave_country", cast["leader"])
    mission_transition(led, "leave_country", cast["leader"])


def test_log_row_records_who_when_from_to_and_comment(cast):
    mission = make_mission("PAK")
    log = mission_transition(mission, "submit", cast["rc_hc_pakistan"], comment="  Agreed.  ")
    assert log.mission == mission
    assert log.transition == "submit"
    assert (log.source, log.target) == ("draft", "submitted")
    assert log.user == cast["rc_hc_pakistan"]
    assert log.comment == "Agreed."
    assert log.at is not None
    assert mission.submitted_at is not None


def test_reason_is_logged_and_kept_on_the_mission(cast):
    mission = make_mission("PAK", status="with_task_team")
    log = mission_transition(mission, "decline", cast["task_team"], reason="Not a priority.")
    assert log.reason == "Not a priority."
    assert mission.decision_reason == "Not a priority."
    assert mission.decided_at is not None


def test_status_cannot_be_set_by_hand():
    mission = Mission()
    with pytest.raises(AttributeError):
        mission.status = "approved"


def test_a_step_impossible_from_the_current_state_is_refused_in_plain_words(cast):
    mission = make_mission("PAK", status="submitted")
    with pytest.raises(TransitionRefused, match="not possible while the mission is submitted"):
        mission_transition(mission, "approve", cast["task_team"])


def test_unknown_transition_changes_nothing(cast):
    mission = make_mission("PAK")
    with pytest.raises(TransitionRefused):
        mission_transition(mission, "delete", cast["rc_hc_pakistan"])
    mission.refresh_from_db()
    assert mission.status == "draft"


def test_stale_status_changes_nothing_and_says_why(cast):
    mission = make_mission("PAK", status="with_task_team")
    mission_transition(mission, "approve", cast["task_team"])
    with pytest.raises(StaleTransition, match="it is now approved"):
        mission_transition(
            mission.pk,
            "decline",
            cast["task_team"],
            expected_status="with_task_team",
            reason="Late.",
        )
    mission.refresh_from_db()
    assert mission.status == "approved"
    assert mission.log.count() == 1


def test_stale_instance_cannot_overwrite_a_newer_status(cast):
    """The optimistic lock: a save from an old copy of the mission is refused."""
    from django_fsm import ConcurrentTransition

    mission = make_mission("PAK", status="submitted")
    old_copy = Mission.objects.get(pk=mission.pk)
    mission_transition(mission, "start_triage", cast["hcss"])
    old_copy.title = "Overwritten"
    with pytest.raises(ConcurrentTransition):
        old_copy.save()


class TestGuards:
    @pytest.mark.parametrize(
        "field, value, message",
        [
            ("objectives", "", "objectives"),
            ("deliverables", "  ", "expected to deliver"),
            ("preferred_start", None, "preferred timing"),
            ("preferred_end", None, "preferred timing"),
            ("suggested_team_size", None, "team size"),
            ("security_constraints", "", "security concerns"),
            ("planned_evaluations", "", "evaluations already planned"),
            ("hct_endorsed_on", None, "date the HCT agreed"),
            ("hct_endorsement_record", "", "HCT's agreement"),
        ],
    )
    def test_submit_needs_each_part_of_the_request(self, cast, field, value, message):
        mission = make_mission("PAK", **{field: value})
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(mission, "submit", cast["rc_hc_pakistan"])
        assert [m for m in refused.value.missing if message in m.message]
        mission.refresh_from_db()
        assert mission.status == "draft"

    def test_start_planning_waits_for_the_decision_to_be_communicated(
        self, cast, django_capture_on_commit_callbacks
    ):
        mission = make_mission("PAK", status="with_task_team", decision_communicated_at=None)
        with django_capture_on_commit_callbacks(execute=False) as after_commit:
            mission_transition(mission, "approve", cast["task_team"])
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(mission, "start_planning", cast["gcc"])
        assert [m.field for m in refused.value.missing] == ["decision_communicated_at"]
        assert "not been communicated" in refused.value.missing[0].message

        # The notices go out after commit; then the GCC may start.
        with django_capture_on_commit_callbacks(execute=True):
            for callback in after_commit:
                callback()
        mission_transition(mission, "start_planning", cast["gcc"])
        assert mission.status == "in_planning"

    @pytest.mark.parametrize(
        "undo, field, message",
        [
            (
                lambda m: TermsOfReference.objects.filter(mission=m).update(final_version=None),
                "tor",
                "Mark the Terms of Reference final.",
            ),
            (
                lambda m: Mission.objects.filter(pk=m.pk).update(team_confirmed_at=None),
                "team",
                "Confirm the team's composition.",
            ),
            (
                lambda m: m.elections.update(winner=None),
                "election",
                "The team has not elected its leader yet.",
            ),
            (
                lambda m: m.issue_coverage.update(remote_focal_point=""),
                "issues",
                "Cover Gender: a team member, remote support or a briefing paper.",
            ),
            (
                lambda m: Mission.objects.filter(pk=m.pk).update(in_country_to=None),
                "in_country_from",
                "Set the dates in the country.",
            ),
            (
                lambda m: m.logistics.filter(item__name="Visa").update(status="in_progress"),
                "logistics",
                "Logistics: Visa (Member-",
            ),
        ],
    )
    def test_confirm_ready_refuses_with_what_is_missing(self, cast, undo, field, message):
        mission = make_mission("PAK", status="in_planning")
        mission.requested_issues.add(CrossCuttingIssue.objects.get(code="gender"))
        make_ready_to_confirm(mission)
        undo(mission)
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(mission, "confirm_ready", cast["gcc"])
        assert [m.field for m in refused.value.missing] == [field]
        assert refused.value.missing[0].message.startswith(message)
        mission.refresh_from_db()
        assert mission.status == "in_planning"

    def test_an_issue_represented_by_someone_not_on_the_team_is_not_covered(self, cast):
        mission = make_mission("PAK", status="in_planning")
        mission.requested_issues.add(CrossCuttingIssue.objects.get(code="gender"))
        make_ready_to_confirm(mission)
        declined = make_member(mission, "not-taken", status="declined")
        mission.issue_coverage.update(mode="represented", member=declined)
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(mission, "confirm_ready", cast["gcc"])
        assert [m.field for m in refused.value.missing] == ["issues"]

    def test_submit_needs_a_suggested_composition(self, cast):
        mission = make_mission("PAK", composition_notes="")
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(mission, "submit", cast["rc_hc_pakistan"])
        assert [m.field for m in refused.value.missing] == ["requested_clusters"]
        mission.requested_clusters.add(1)
        mission_transition(mission, "submit", cast["rc_hc_pakistan"])

    def test_incomplete_request_lists_everything_missing(self, cast):
        mission = make_mission("PAK", complete=False)
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(mission, "submit", cast["rc_hc_pakistan"])
        assert len(refused.value.missing) == 9

    def test_forward_needs_a_triage_note(self, cast):
        mission = make_mission("PAK", status="in_triage", triage_note="")
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(mission, "forward", cast["hcss"])
        assert refused.value.missing[0].field == "triage_note"

    @pytest.mark.parametrize("field", ["agreed_focus", "draft_tor"])
    def test_approve_needs_focus_and_draft_tor(self, cast, field):
        mission = make_mission("PAK", status="with_task_team", **{field: ""})
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(mission, "approve", cast["task_team"])
        assert [m.field for m in refused.value.missing] == [field]
        mission.refresh_from_db()
        assert mission.status == "with_task_team"

    def test_approve_needs_the_request_scored(self, cast):
        mission = make_mission("PAK", status="with_task_team")
        mission.scores.all().delete()
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(mission, "approve", cast["task_team"])
        assert [m.field for m in refused.value.missing] == ["scores"]

    def test_minutes_attached_stand_for_the_record_of_the_hct_agreement(self, cast):
        from django.core.files.base import ContentFile

        from missions.models import Attachment

        mission = make_mission("PAK", hct_endorsement_record="")
        with pytest.raises(TransitionRefused):
            mission_transition(mission, "submit", cast["rc_hc_pakistan"])
        Attachment.objects.create(
            mission=mission,
            kind=Attachment.Kind.HCT_MINUTES,
            file=ContentFile(b"%PDF-1.4 minutes", name="minutes.pdf"),
            original_name="minutes.pdf",
            content_type="application/pdf",
            size=16,
        )
        mission_transition(mission, "submit", cast["rc_hc_pakistan"])
        assert mission.status == "submitted"

    @pytest.mark.parametrize("name", ["decline", "defer", "return_for_revision", "cancel"])
    def test_reason_is_required(self, cast, name):
        source = {"return_for_revision": "in_triage", "cancel": "submitted"}.get(
            name, "with_task_team"
        )
        actor = {"return_for_revision": "hcss", "cancel": "hcss"}.get(name, "task_team")
        mission = make_mission("PAK", status=source)
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(mission, name, cast[actor], reason="   ", revisit_on=future())
        assert refused.value.missing[0].field == "reason"
        mission.refresh_from_db()
        assert mission.status == source

    @pytest.mark.parametrize("revisit_on", ["", "not a date", datetime.date.today().isoformat()])
    def test_defer_needs_a_future_date_to_revisit(self, cast, revisit_on):
        mission = make_mission("PAK", status="with_task_team")
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(
                mission, "defer", cast["task_team"], reason="Later.", revisit_on=revisit_on
            )
        assert refused.value.missing[0].field == "revisit_on"

    def test_defer_records_the_date_and_reconsider_clears_it(self, cast):
        mission = make_mission("PAK", status="with_task_team")
        mission_transition(
            mission, "defer", cast["task_team"], reason="Later.", revisit_on=future()
        )
        assert mission.revisit_on.isoformat() == future()
        mission_transition(mission, "reconsider", cast["task_team"])
        assert mission.revisit_on is None

    def test_leave_country_needs_the_consultation_recorded(self, cast):
        mission = make_mission("PAK", status="in_country", country_consultation_on=None)
        make_open_point(mission)
        mission_leader_appoint(mission, cast["leader"])
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(mission, "leave_country", cast["leader"])
        assert [m.field for m in refused.value.missing] == ["country_consultation_on"]

    def test_return_for_revision_keeps_the_questions_and_reopens_the_draft(self, cast):
        mission = make_mission("PAK", status="submitted")
        mission_transition(mission, "return_for_revision", cast["hcss"], reason="Dates?")
        assert mission.status == "draft"
        assert mission.revision_questions == "Dates?"
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(mission, "submit", cast["rc_hc_pakistan"])
        assert [m.field for m in refused.value.missing] == ["revision_answer"]
        assert Mission.objects.get(pk=mission.pk).status == "draft"
        Mission.objects.filter(pk=mission.pk).update(revision_answer="1-15 March.")
        mission_transition(mission, "submit", cast["rc_hc_pakistan"], comment="1-15 March.")
        assert mission.status == "submitted"
        assert mission.log.last().comment == "1-15 March."

    def test_a_second_return_asks_for_new_answers(self, cast):
        mission = make_mission("PAK", status="submitted")
        mission_transition(mission, "return_for_revision", cast["hcss"], reason="Dates?")
        Mission.objects.filter(pk=mission.pk).update(revision_answer="March.")
        mission_transition(mission, "submit", cast["rc_hc_pakistan"])
        mission_transition(mission, "return_for_revision", cast["hcss"], reason="Which clusters?")
        mission.refresh_from_db()
        assert (mission.revision_questions, mission.revision_answer) == ("Which clusters?", "")

    @pytest.mark.parametrize("ended", ["declined", "closed", "cancelled"])
    def test_an_ended_mission_cannot_be_cancelled(self, cast, ended):
        mission = make_mission("PAK", status=ended)
        with pytest.raises(TransitionRefused):
            mission_transition(mission, "cancel", cast["hcss"], reason="x")


class TestSideEffects:
    @pytest.fixture
    def effects(self):
        from missions import workflow

        calls = []
        after_transition("submit")(calls.append)
        yield calls
        workflow._after_commit[("mission", "submit")].remove(calls.append)

    def test_side_effects_run_after_commit_with_the_log_row(
        self, cast, effects, django_capture_on_commit_callbacks
    ):
        mission = make_mission("PAK")
        with django_capture_on_commit_callbacks(execute=True):
            log = mission_transition(mission, "submit", cast["rc_hc_pakistan"])
            assert effects == []  # not before commit
        assert effects == [log.pk]

    def test_no_side_effect_when_the_transaction_rolls_back(
        self, cast, effects, django_capture_on_commit_callbacks
    ):
        mission = make_mission("PAK")
        with django_capture_on_commit_callbacks(execute=True):
            with pytest.raises(RuntimeError), transaction.atomic():
                mission_transition(mission, "submit", cast["rc_hc_pakistan"])
                raise RuntimeError("something later failed")
        assert effects == []
        mission.refresh_from_db()
        assert mission.status == "draft"
        assert not mission.log.exists()

    def test_refused_transition_schedules_nothing(
        self, cast, effects, django_capture_on_commit_callbacks
    ):
        mission = make_mission("PAK", objectives="")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(TransitionError):
                mission_transition(mission, "submit", cast["rc_hc_pakistan"])
        assert callbacks == []
        assert effects == []
