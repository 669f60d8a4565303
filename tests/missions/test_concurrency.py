"""Two people act on the same mission at the same moment: exactly one of them wins.

Real threads with their own database connections, so PostgreSQL only: the runner's row lock
and the optimistic lock on the status are what is under test.
"""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from clusters.models import Role
from clusters.services import role_grant
from missions.models import Mission, TransitionLog
from missions.services.mission import mission_transition
from missions.workflow import StaleTransition, TransitionError, TransitionRefused
from tests.factories import UserFactory, make_mission

ROUNDS = 25
REASON = "Not a priority this quarter."
# transition: (the state it leaves, the state it reaches)
ROUTE = {
    "approve": ("with_task_team", "approved"),
    "decline": ("with_task_team", "declined"),
    "start_triage": ("submitted", "in_triage"),
}

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def people(transactional_db, on_postgres):
    """Two Task Team members and an HCSS officer, committed so other threads see them."""
    for username, role in [("tt-anna", Role.TASK_TEAM), ("tt-ben", Role.TASK_TEAM)]:
        role_grant(UserFactory(username=username), role)
    role_grant(UserFactory(username="hcss-carla"), Role.HCSS)


def race(mission_pk: int, attempts: list[tuple[str, str, dict]]) -> list[tuple]:
    """Each attempt (username, transition, inputs) in its own thread, all released at once.

    Returns one (outcome, username, transition, detail) per attempt: ("won", ..., log pk),
    ("lost", ..., the TransitionError) or ("crashed", ..., any other exception).
    """
    barrier = threading.Barrier(len(attempts))
    results: list[tuple | None] = [None] * len(attempts)

    def attempt(index: int, username: str, name: str, inputs: dict) -> None:
        try:
            user = get_user_model().objects.get(username=username)
            barrier.wait(timeout=10)
            try:
                log = mission_transition(mission_pk, name, user, **inputs)
                results[index] = ("won", username, name, log.pk)
            except TransitionError as error:
                results[index] = ("lost", username, name, error)
        except BaseException as error:  # reported by the test, not swallowed
            results[index] = ("crashed", username, name, error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(index, *args), daemon=True)
        for index, args in enumerate(attempts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return results


def assert_one_winner(mission: Mission, results: list[tuple], round_no: int) -> tuple:
    crashed = [r for r in results if r[0] == "crashed"]
    assert not crashed, f"round {round_no}: {crashed}"
    won = [r for r in results if r[0] == "won"]
    lost = [r for r in results if r[0] == "lost"]
    assert len(won) == 1, f"round {round_no}: {results}"
    assert len(lost) == len(results) - 1
    for _, _, _, error in lost:
        assert isinstance(error, (StaleTransition, TransitionRefused)), repr(error)
        assert error.message.strip()

    _, winner, name, log_pk = won[0]
    mission.refresh_from_db()
    assert mission.status == ROUTE[name][1], f"round {round_no}: {results}"
    logs = TransitionLog.objects.filter(mission=mission).select_related("user")
    assert [
        (log.pk, log.transition, log.user.username, log.source, log.target) for log in logs
    ] == [(log_pk, name, winner, *ROUTE[name])], f"round {round_no}"
    return won[0]


@pytest.mark.parametrize(
    "expected_status",
    [None, "with_task_team"],
    ids=["runner-only", "with-the-status-the-page-showed"],
)
def test_approve_and_decline_at_the_same_moment_exactly_one_wins(people, expected_status):
    for round_no in range(ROUNDS):
        mission = make_mission("PAK", status="with_task_team", title=f"Race {round_no}")
        results = race(
            mission.pk,
            [
                ("tt-anna", "approve", {"expected_status": expected_status}),
                (
                    "tt-ben",
                    "decline",
                    {"expected_status": expected_status, "reason": REASON},
                ),
            ],
        )
        _, _, name, _ = assert_one_winner(mission, results, round_no)
        # Nothing of the loser's step was written either.
        if name == "approve":
            assert mission.decision_reason == ""
        else:
            assert mission.decision_reason == REASON
        assert mission.decided_at is not None


def test_the_same_step_twice_at_the_same_moment_is_taken_once(people):
    """The same HCSS officer starts triage from two tabs at once."""
    for round_no in range(ROUNDS):
        mission = make_mission("PAK", status="submitted", title=f"Double click {round_no}")
        results = race(
            mission.pk,
            [("hcss-carla", "start_triage", {}), ("hcss-carla", "start_triage", {})],
        )
        assert_one_winner(mission, results, round_no)
