"""The fault suite: the worker killed mid-task, Redis restarted mid-run, the mail server
refusing and then recovering, the database connection dropped during a sweep, and two
schedulers at once. Each time with work in flight (transitions and their notices,
reminders, a report's distribution, PDF renderings); after recovery nothing is lost, nothing
is sent twice, and every state is settled (`faults.inconsistencies`).

The suite has a Redis server, an SMTP server and Celery workers of its own (tests.integration
.faults), so it may break them while other tests use the machine's Redis. The sending goes
through the real worker and SMTP server; only the waits of the sweep (minutes) are skipped by
moving the clocks back (`time_passes`). Runs on the PostgreSQL pass of CI (DATABASE_URL and
REDIS_URL set), like the other integration tests.
"""

from __future__ import annotations

import datetime
import os
import shutil
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.db import connection, connections
from django.utils import timezone

from clusters.models import Country, Role
from clusters.services import role_grant
from missions.models import (
    ActionPoint,
    DigestSent,
    Mission,
    Notification,
    PointReminder,
    ReminderSent,
)
from missions.services import notices
from missions.services.followup import remind_action_points, send_digests
from missions.services.mission import mission_transition
from missions.services.permissions import mission_leader_appoint
from missions.services.prioritisation import remind_deferred
from missions.tasks import outbox_sweep_task
from reports.models import Delivery, Document
from reports.services.distribution import delivery_prepare
from reports.services.document import followup_status_reports_due
from reports.tasks import render_document_task
from tests.factories import UserFactory, make_final_report, make_mission, make_open_point
from tests.integration.faults import (
    Mailbox,
    RedisServer,
    SmtpServer,
    Workers,
    figures,
    inconsistencies,
    poll,
    producing_to,
    renderings_stall,
    stored_files,
    time_passes,
    unsent,
    worker_environment,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

State = Notification.EmailState
# Due dates of the action points, in days from today, in turn: before the due date, on it,
# overdue, and overdue for long (the owner and the leader are told).
DUE_IN = (3, 0, -10, -40)


# The suite's servers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    if not os.environ.get("REDIS_URL") or connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL (as CI does)")
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server, to start a Redis of the suite's own")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def smtp_server(redis_server):
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@dataclass
class Suite:
    redis: RedisServer
    mailbox: Mailbox
    workers: Workers
    queue: str
    media: Path

    def queued(self) -> int:
        return self.redis.queued(self.queue)

    def settled(self, seconds: float = 60) -> bool:
        """The queue is empty and the outbox has not moved for a second: the workers have
        done all they were given (what is left waits for the sweep)."""
        last, since = None, time.monotonic()

        def still() -> bool:
            nonlocal last, since
            now = (self.queued(), unsent(), len(self.mailbox.accepted))
            if now != last:
                last, since = now, time.monotonic()
            return now[0] == 0 and time.monotonic() - since > 1

        return poll(still, seconds, every=0.1)


@pytest.fixture
def suite(on_postgres, redis_server, smtp_server, tmp_path, settings):
    """The suite's Redis (emptied), mailbox (reset) and a queue of this test's; workers are
    started by the test, and all stopped after it."""
    if redis_server.process is None:
        redis_server.start()  # a test stopped it and failed before starting it again
    redis_server.client().flushall()
    smtp_server.mailbox.reset()
    settings.MEDIA_ROOT = tmp_path / "private"
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    env = worker_environment(
        connection.settings_dict, redis_server.url, queue, smtp_server.port, settings.MEDIA_ROOT
    )
    workers = Workers(env, queue, tmp_path)
    with producing_to(redis_server.url, queue):
        try:
            yield Suite(redis_server, smtp_server.mailbox, workers, queue, settings.MEDIA_ROOT)
        finally:
            smtp_server.mailbox.release()
            print(workers.stop_all())


# The work in flight -----------------------------------------------------------------------------


def people(prefix: str, role: str | None, count: int, **scope) -> list:
    users = [UserFactory(username=f"{prefix}-{index}") for index in range(1, count + 1)]
    for user in users:
        if role:
            role_grant(user, role, **scope)
    return users


class Scene:
    """Users of each role, and the work given to the site the way its pages give it: each
    step through the runner (`mission_transition`), which writes the notices with it and
    queues them after commit. Counts the notices each step must send (`expected`) and the
    transitions taken."""

    def __init__(self, hcss: int = 5, country_people: int = 2, task_team: int = 1):
        pakistan = Country.objects.get(code="PAK")
        self.rc_hc = people("rchc", Role.RC_HC, 1, country=pakistan)[0]
        self.hct = people("hct", Role.HCT_MEMBER, country_people, country=pakistan)
        self.hcss = people("hcss", Role.HCSS, hcss)
        self.task_team = people("taskteam", Role.TASK_TEAM, task_team)
        self.expected = 0
        self.transitions: Counter = Counter()

    def _take(self, mission: Mission, name: str, user, notices: int) -> None:
        mission_transition(mission, name, user)
        self.transitions[(mission.pk, name)] += 1
        self.expected += notices

    def submit(self, count: int, label: str) -> None:
        """Requests submitted: each tells every HCSS officer."""
        for index in range(count):
            mission = make_mission("PAK", title=f"{label} request {index + 1}")
            self._take(mission, "submit", self.rc_hc, len(self.hcss))

    def approve(self, count: int, label: str) -> list[Mission]:
        """Decisions: each tells the RC/HC and the HCT; communicated once all have gone."""
        missions = []
        for index in range(count):
            mission = make_mission(
                "PAK", status="with_task_team", title=f"{label} approved {index}"
            )
            self._take(mission, "approve", self.task_team[0], 1 + len(self.hct))
            missions.append(mission)
        return missions

    def distribute(self, recipients: int, label: str, leader=None) -> Mission:
        """A final report distributed: a PDF to render and one delivery e-mail per address."""
        leader = leader or UserFactory(username="leader")
        mission = make_mission("PAK", status="reporting", title=f"{label} report")
        mission_leader_appoint(mission, leader)
        make_final_report(mission, recipients=recipients)
        self._take(mission, "distribute_report", leader, recipients)
        return mission

    def follow_up(self, points: int, label: str) -> Mission:
        """A mission in follow-up, with its own leader and `points` open action points, each
        with its own owner and due as `DUE_IN` says in turn. Counts the reminders they are
        due today (the next `remind_action_points` writes them)."""
        mission = make_mission("PAK", status="follow_up", title=f"{label} follow-up")
        mission_leader_appoint(mission, UserFactory(username=f"{label}-leader"))
        today = timezone.localdate()
        for number in range(1, points + 1):
            point = make_open_point(mission, number)
            days = DUE_IN[(number - 1) % len(DUE_IN)]
            ActionPoint.objects.filter(pk=point.pk).update(
                owner=UserFactory(username=f"{label}-owner-{number}"),
                due_on=today + datetime.timedelta(days=days),
            )
            self.expected += 2 if days == DUE_IN[-1] else 1
        return mission


@contextmanager
def queueing_lost():
    """Notices written meanwhile are never queued (a broker that took the message and lost
    it): they wait in the outbox for the sweep."""
    receivers, notices.OUTBOX._receivers = notices.OUTBOX._receivers, []
    try:
        yield
    finally:
        notices.OUTBOX._receivers = receivers


def document_status(pk: int) -> str:
    return Document.objects.values_list("status", flat=True).get(pk=pk)


def all_out(documents=()) -> bool:
    """Every notice sent, every document rendered."""
    finished = (Document.Status.READY, Document.Status.FAILED)
    done = not Document.objects.filter(pk__in=documents).exclude(status__in=finished).exists()
    return done and not Notification.objects.exclude(email_state=State.SENT).exists()


def wait_all_out(documents=(), seconds: float = 90) -> bool:
    return poll(lambda: all_out(documents), seconds, every=0.2)


def settle_and_check(suite: Suite, scene: Scene, seconds: float = 1.5):
    """Give a wrongful second send time to show itself, then count and check every state."""
    time.sleep(seconds)
    counted = figures(suite.mailbox)
    print(f"Figures: {counted}")  # shown with -s, or -rP
    return counted, inconsistencies(scene.transitions)


# (a) ---------------------------------------------------------------------------------------------


def test_a_worker_killed_mid_task_loses_nothing_and_sends_nothing_twice(suite):
    """345 notices (30 requests to 10 HCSS officers, 5 decisions to 3 people each, 25
    reminders of 20 action points, 5 deliveries of a report) and the report's PDF; the
    worker is killed (SIGKILL) in the middle of the rendering, the next one in the middle of
    an e-mail (the SMTP server holding it unanswered), a third takes over: 345 notices, 345
    messages, 0 lost, 0 doubled, the PDF rendered once (1 file).

    The killed workers' messages wait unacknowledged in Redis for its visibility timeout (an
    hour): the sweep re-queues the stale claim, and the rendering's message, redelivered,
    takes over the stalled rendering."""
    scene = Scene(hcss=10)
    report = scene.distribute(5, "Killed")  # its rendering is the first task in the queue
    scene.submit(30, "Killed")
    scene.approve(5, "Killed")
    scene.follow_up(20, "killed")
    remind_action_points()
    assert Notification.objects.count() == scene.expected == 345
    document = Document.objects.get(mission=report)

    first = suite.workers.start()
    assert poll(lambda: document_status(document.pk) == Document.Status.RENDERING, 90), (
        "the first worker did not start rendering the report"
    )
    first.kill()
    suite.mailbox.hold_after(100)
    second = suite.workers.start()
    assert suite.mailbox.holding.wait(90), "the second worker did not reach its 101st e-mail"
    second.kill()
    suite.mailbox.release()
    held = Notification.objects.get(email_state=State.PENDING, email_claimed_at__isnull=False)

    suite.workers.start()
    assert suite.settled(90), "the third worker did not finish the queue"
    left = unsent()
    assert left == 1, f"{left} notices wait after the queue: only the killed send should"
    assert document_status(document.pk) == Document.Status.RENDERING

    time_passes()
    renderings_stall(document.pk)
    outbox_sweep_task.delay()  # the beat's next tick
    render_document_task.delay(document.pk)  # the broker redelivers the killed rendering
    assert wait_all_out([document.pk]), f"still unsent: {unsent()}"
    assert delivery_prepare(Delivery.objects.filter(mission=report).first()).pk == document.pk

    counted, problems = settle_and_check(suite, scene)
    assert (counted.notices, counted.messages, counted.lost, counted.doubled) == (
        345,
        345,
        0,
        0,
    ), f"worker killed mid-task: {counted}"
    assert not problems, "\n".join(problems)
    held.refresh_from_db()
    assert held.email_attempts == 2, "the killed send was not the one the sweep sent again"
    files = stored_files(suite.media, report)
    assert len(files) == 1, f"the report's PDF was stored {len(files)} times: {files}"


# (b) ---------------------------------------------------------------------------------------------


def test_notices_written_while_redis_is_down_go_out_once_it_is_back(suite):
    """113 notices: 103 queued (20 requests to 5 HCSS officers, a report to 3 addresses)
    before Redis is restarted with part of them still in its queue (lost with it), and 10
    written while it is down (a request, a report to 2 addresses and 3 reminders, whose
    queueing fails); after it is back, the sweep has the worker send what was lost or never
    queued, and a recipient's click asks again for the PDF whose queueing failed: 113
    notices, 113 messages, 0 lost, 0 doubled, both PDFs ready."""
    scene = Scene(hcss=5)
    worker = suite.workers.start()
    suite.mailbox.delay = 0.03  # a slow mail server: the queue is still long when Redis goes
    before = scene.distribute(3, "Before")
    scene.submit(20, "Before")
    assert suite.workers.ready(worker), "the worker did not start"
    assert poll(lambda: len(suite.mailbox.accepted) >= 20, 60), "the worker sent nothing"
    in_queue = suite.queued()
    suite.redis.stop()

    during = scene.distribute(2, "During")
    scene.submit(1, "During")
    scene.follow_up(3, "during")
    remind_action_points()
    waiting = Notification.objects.filter(email_state=State.PENDING).count()

    suite.redis.start()
    assert suite.workers.ready(worker, 90), "the worker did not reconnect to Redis"
    suite.mailbox.delay = 0
    assert suite.settled(90), "the worker did not finish what Redis still held"
    assert in_queue > 0 and unsent() >= 10, (in_queue, unsent())

    time_passes()
    documents = list(Document.objects.values_list("pk", flat=True))
    # What is still queued lost its message (with Redis's queue, or never sent).
    renderings_stall(
        *Document.objects.filter(status=Document.Status.QUEUED).values_list("pk", flat=True)
    )
    outbox_sweep_task.delay()
    for mission in (before, during):
        delivery_prepare(Delivery.objects.filter(mission=mission).first())  # a recipient's click
    assert wait_all_out(documents), f"still unsent: {unsent()}"

    counted, problems = settle_and_check(suite, scene)
    print(f"{in_queue} messages in Redis's queue when it stopped, {waiting} notices unsent")
    assert scene.expected == 113
    assert (counted.notices, counted.messages, counted.lost, counted.doubled) == (
        113,
        113,
        0,
        0,
    ), f"Redis restarted ({in_queue} messages in its queue, {waiting} notices unsent): {counted}"
    assert not problems, "\n".join(problems)
    assert set(Document.objects.values_list("status", flat=True)) == {Document.Status.READY}


# (c) ---------------------------------------------------------------------------------------------


def test_a_mail_server_refusing_then_recovering_gets_each_notice_exactly_once(suite):
    """150 notices (20 requests to 5 HCSS officers, 5 decisions to 3 people each, 15
    reminders of 12 action points, a report to 20 addresses) meet a mail server that answers
    554 to every message; two workers try each at least once and keep it for Celery's retry
    (none given up). Then the server recovers, and the sweep and the retries both send, on
    two workers at once: 150 notices, 150 messages, 0 lost, 0 doubled; 150 runs of the send
    task sent, the others (a sweep's copy or a retry of a notice already sent) found it
    claimed and did nothing."""
    scene = Scene(hcss=5)
    suite.mailbox.failing = True
    workers = [suite.workers.start("INFO"), suite.workers.start("INFO")]
    scene.distribute(20, "Refused")
    scene.submit(20, "Refused")
    scene.approve(5, "Refused")
    scene.follow_up(12, "refused")
    remind_action_points()
    assert scene.expected == 150

    def all_refused() -> bool:
        return (
            Notification.objects.filter(
                email_state=State.PENDING, email_attempts__gte=1, email_claimed_at__isnull=True
            ).count()
            == scene.expected
        )

    assert poll(all_refused, 90, every=0.2), "the workers did not try every notice"
    refused = suite.mailbox.refused
    suite.mailbox.failing = False

    time_passes()
    outbox_sweep_task.delay()
    assert wait_all_out(Document.objects.values_list("pk", flat=True)), f"unsent: {unsent()}"
    # Celery's retries (a backoff of up to 30 s) keep coming for a while: they find the
    # notices sent.
    counted, problems = settle_and_check(suite, scene, seconds=3)
    runs = sum((worker.results("send_notification_task") for worker in workers), Counter())
    print(f"{refused} messages refused; runs of the send task: {dict(runs)}")
    assert (counted.notices, counted.messages, counted.lost, counted.doubled) == (
        150,
        150,
        0,
        0,
    ), f"{refused} messages refused, then the sweep and the retries ({dict(runs)}): {counted}"
    assert not problems, "\n".join(problems)
    assert runs["True"] == 150 and runs["False"] > 0, f"runs of the send task: {dict(runs)}"
    assert not Notification.objects.filter(email_state=State.FAILED).exists()


# (d) ---------------------------------------------------------------------------------------------


@contextmanager
def row_locked(mission: Mission):
    """Another session holds the mission's row (a transition under way), so that the sweep's
    recording of the decision waits on it: the sweep is caught in the middle."""
    database = connection.settings_dict
    with psycopg.connect(
        host=database["HOST"],
        port=database["PORT"],
        user=database["USER"],
        password=database["PASSWORD"] or None,
        dbname=database["NAME"],
    ) as other:
        other.execute("SELECT 1 FROM missions_mission WHERE id = %s FOR UPDATE", [mission.pk])
        yield
        other.rollback()


def worker_backend_waiting() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = 'icsm-fault-worker' AND wait_event_type = 'Lock'"
        )
        row = cursor.fetchone()
    return row[0] if row else None


def test_a_sweep_whose_database_connection_drops_is_completed_by_the_next(suite):
    """137 notices whose queueing was lost (20 requests to 5 HCSS officers, 10 decisions to
    3 people each, 4 deliveries of a report, 3 reminders) and a decision whose notices went
    out but whose record did not; the sweep queues them all, then its connection is
    terminated (pg_terminate_backend) while it records the decision: that sweep fails, the
    next one completes: 140 notices, 140 messages, 0 lost, 0 doubled, all 11 decisions
    recorded as communicated."""
    scene = Scene(hcss=5)
    worker = suite.workers.start()
    recorded = scene.approve(1, "Recorded")[0]
    assert wait_all_out(), "the worker did not send the first decision's notices"
    Mission.objects.filter(pk=recorded.pk).update(decision_communicated_at=None)
    with queueing_lost():
        scene.submit(20, "Dropped")
        scene.approve(10, "Dropped")
        scene.distribute(4, "Dropped")
        scene.follow_up(3, "dropped")
        remind_action_points()
    assert scene.expected == 140 and unsent() == 137

    time_passes()
    with row_locked(recorded):
        outbox_sweep_task.delay()
        assert poll(lambda: worker_backend_waiting() is not None, 60), "the sweep did not wait"
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [worker_backend_waiting()])
    assert poll(lambda: "terminating connection" in worker.output(), 30), worker.output()[-2000:]
    assert suite.settled(90), "the worker did not send what the broken sweep had queued"
    outbox_sweep_task.delay()  # the beat's next tick
    documents = Document.objects.values_list("pk", flat=True)
    assert poll(lambda: all_out(documents) and not inconsistencies(scene.transitions), 60), (
        inconsistencies(scene.transitions)
    )

    counted, problems = settle_and_check(suite, scene)
    assert (counted.notices, counted.messages, counted.lost, counted.doubled) == (
        140,
        140,
        0,
        0,
    ), f"database connection dropped during a sweep: {counted}"
    assert not problems, "\n".join(problems)


# (e) ---------------------------------------------------------------------------------------------


def run_together(jobs, rounds: int = 2) -> None:
    """Two schedulers ticking at the same moment, `rounds` times: each job of the tick is
    started by both at once (a barrier), each scheduler with its own database connection."""
    barrier = threading.Barrier(2, timeout=60)
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            for _ in range(rounds):
                for job in jobs:
                    barrier.wait()
                    job()
        except BaseException as error:  # noqa: B036 - re-raised in the test's thread
            errors.append(error)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if errors:
        raise errors[0]


def test_two_schedulers_at_once_claim_each_reminder_and_status_report_once(suite):
    """Two schedulers tick together, twice, over 3 missions in follow-up (36 action points,
    3 leaders) and 3 deferred requests due for a second look: 45 action point reminders (36
    to owners, 9 to leaders), 3 weekly digests, 6 revisit reminders (3 requests to 2 Task
    Team members) and 3 monthly status reports are each claimed once: 54 notices, 54
    messages, 0 lost, 0 doubled; 3 status reports rendered, 1 per mission and month."""
    scene = Scene(hcss=1, task_team=2)
    suite.workers.start()
    followed = [scene.follow_up(12, f"twice{index}") for index in range(3)]
    scene.expected += len(followed)  # a digest to each leader
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    for index in range(3):
        make_mission("PAK", status="deferred", title=f"Deferred {index}", revisit_on=yesterday)
        scene.expected += len(scene.task_team)

    run_together([remind_action_points, send_digests, remind_deferred, followup_status_reports_due])

    claims = (PointReminder.objects.count(), DigestSent.objects.count())
    claims += (ReminderSent.objects.count(), Document.objects.count())
    assert claims == (45, 3, 3, 3), f"claims (reminders, digests, revisits, reports): {claims}"
    periods = Counter(Document.objects.values_list("mission", "period"))
    assert sorted(periods.values()) == [1, 1, 1], periods
    assert wait_all_out(Document.objects.values_list("pk", flat=True)), f"unsent: {unsent()}"

    counted, problems = settle_and_check(suite, scene)
    assert (counted.notices, counted.messages, counted.lost, counted.doubled) == (
        54,
        54,
        0,
        0,
    ), f"two schedulers at once: {counted}"
    assert not problems, "\n".join(problems)
