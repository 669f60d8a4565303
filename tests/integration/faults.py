"""The fault suite's own servers, and what it checks after each fault.

The suite runs beside other tests on a shared machine, so it starts what it breaks: a Redis
server on a free port (stopped and started again at will), an SMTP server in this process
(aiosmtpd; it can refuse with 5xx, or hold a message while a worker is killed), and Celery
workers on that Redis and the test database (each one a process group, killed with SIGKILL).

Time is not waited for: `time_passes` and `renderings_stall` move the outbox's and the
documents' clocks back by the waits (SWEEP_AFTER, CLAIM_TIMEOUT, STALLED_AFTER), as if minutes
had gone by.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

import kombu.pools
import redis
from aiosmtpd.controller import Controller
from django.db.models import F, Q

from config.celery import app as celery_app
from missions.models import Mission, Notification, TransitionLog
from missions.services.notices import CLAIM_TIMEOUT, SWEEP_AFTER
from missions.workflow import DECISION_TRANSITIONS
from reports.models import STALLED_AFTER, Delivery, Document

ROOT = Path(__file__).resolve().parents[2]
State = Notification.EmailState
# Every subject the site sends starts so; the outbox row of a built message (a report's
# delivery) shows its subject without it.
SUBJECT_PREFIX = "[ICSM] "


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def poll(predicate, seconds: float = 60, every: float = 0.05) -> bool:
    """Like `wait_for`, polling faster: some states (a rendering under way) last a second."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


# Redis ----------------------------------------------------------------------------------------


class RedisServer:
    """A `redis-server` of the suite's own, without persistence: a restart loses its queues,
    as a broker that is restarted (or replaced) does."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
            + ["--logfile", str(self.directory / "redis.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        if not poll(self._answers, 10):
            raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def queued(self, queue: str) -> int:
        """Messages waiting in `queue` (kombu keeps one list per priority step)."""
        client = self.client()
        keys = [key for key in client.keys(f"{queue}*") if client.type(key) == b"list"]
        return sum(client.llen(key) for key in keys)


@contextmanager
def producing_to(broker_url: str, queue: str):
    """This process's Celery app sends its messages to `broker_url`, on `queue`, for real."""
    changed = {"broker_url": broker_url, "task_always_eager": False, "task_default_queue": queue}
    before = {key: celery_app.conf[key] for key in changed}
    celery_app.conf.update(changed)
    _drop_broker_connections()
    try:
        yield
    finally:
        celery_app.conf.update(before)
        _drop_broker_connections()


def _drop_broker_connections() -> None:
    # The app keeps a pool of connections made for the broker of its first message (another
    # test's); dropping the pools, as Celery does after a fork, makes the next message connect
    # anew.
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


# SMTP -----------------------------------------------------------------------------------------


class Mailbox:
    """aiosmtpd's handler: keeps each message it accepts as (recipient, subject); refuses
    every message with a 5xx while `failing`; can hold one message, unanswered, until told
    to let it go (a worker is killed meanwhile)."""

    REFUSAL = "554 5.3.0 The test's mail server refuses messages for now"

    def __init__(self):
        self.lock = threading.Lock()
        self.accepted: list[tuple[str, str]] = []
        self.refused = 0
        self.failing = False
        self.delay = 0.0
        self._hold_at: int | None = None
        self.holding = threading.Event()
        self.released = threading.Event()

    def reset(self) -> None:
        with self.lock:
            self.accepted.clear()
            self.refused = 0
        self.failing, self.delay, self._hold_at = False, 0.0, None
        self.holding.clear()
        self.released.clear()

    def hold_after(self, count: int) -> None:
        """Hold the message that comes after `count` more have been accepted."""
        with self.lock:
            self._hold_at = len(self.accepted) + count + 1

    def release(self) -> None:
        self.released.set()

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failing:
            with self.lock:
                self.refused += 1
            return self.REFUSAL
        with self.lock:
            hold = self._hold_at is not None and len(self.accepted) + 1 >= self._hold_at
            if hold:
                self._hold_at = None
        if hold:
            self.holding.set()
            while not self.released.is_set():
                await asyncio.sleep(0.02)
            # A message is accepted with the server's 250 after its data; the sender was
            # killed before it, so the message was never taken (and is sent again).
            return "421 4.3.0 The sender went away before the message was accepted"
        message = BytesParser(policy=default_policy).parsebytes(envelope.original_content)
        subject = str(message["subject"])
        with self.lock:
            self.accepted.extend((address.lower(), subject) for address in envelope.rcpt_tos)
        return "250 OK"

    def received(self) -> Counter:
        with self.lock:
            return Counter((address, _bare(subject)) for address, subject in self.accepted)


def _bare(subject: str) -> str:
    return " ".join(subject.split()).removeprefix(SUBJECT_PREFIX)


class SmtpServer:
    """The mailbox behind an SMTP server on a free port of 127.0.0.1, in a thread of this
    process."""

    def __init__(self):
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command
        self.controller.start()

    def stop(self) -> None:
        self.mailbox.release()
        self.controller.stop()


# Workers --------------------------------------------------------------------------------------


RESULT = re.compile(
    r"Task (?P<task>[\w.]+)\[[\w-]+\] (?:succeeded in [\d.e-]+s: (?P<result>\S+)|retry:)"
)


@dataclass
class Worker:
    name: str
    process: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the worker and its children (a PDF rendering): no shutdown, no ack."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """A warm shutdown (the running task finishes), a kill if it takes too long."""
        if self.alive():
            self.process.terminate()
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # whatever it left running
        self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def results(self, task: str) -> Counter:
        """What each run of `task` returned, as Celery logs it at INFO ("Task missions.tasks.
        send_notification_task[...] succeeded in 0.01s: True"), and how many were retried."""
        counted = Counter()
        for match in RESULT.finditer(self.output()):
            if match["task"].endswith(f".{task}"):
                counted[match["result"] or "retry"] += 1
        return counted


class Workers:
    """Starts Celery workers (solo pool, one task at a time, as the CI's worker) on the
    suite's broker and queue, the test database and the SMTP server; stops them all."""

    def __init__(self, env: dict[str, str], queue: str, logs: Path):
        self.env, self.queue, self.logs = env, queue, logs
        self.started: list[Worker] = []

    def start(self, loglevel: str = "WARNING") -> Worker:
        """A worker; at loglevel INFO it logs each task's result (see `results`)."""
        name = f"faults-{uuid.uuid4().hex[:6]}"
        log = self.logs / f"{name}.log"
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
        command += [f"--loglevel={loglevel}", "-Q", self.queue, "-n", f"{name}@localhost"]
        # Nothing to wait for at start: no other worker to meet or to gossip with.
        command += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: a kill takes its children
            )
        worker = Worker(f"{name}@localhost", process, log)
        self.started.append(worker)
        return worker

    def ready(self, worker: Worker, seconds: float = 30) -> bool:
        """The worker answers a ping through the broker (it consumes)."""

        def answers() -> bool:
            if not worker.alive():
                raise RuntimeError(f"worker {worker.name} died:\n{worker.output()[-3000:]}")
            return bool(celery_app.control.ping(destination=[worker.name], timeout=0.5))

        return poll(answers, seconds, every=0.2)

    def stop_all(self) -> str:
        output = []
        for worker in self.started:
            worker.stop()
            output.append(f"--- {worker.name}\n{worker.output()}")
        return "\n".join(output)


def worker_environment(database: dict, broker_url: str, queue: str, smtp_port: int, media: Path):
    """What a worker process reads its settings from: the test database, the suite's Redis,
    its queue, the shared private media folder and the SMTP server."""
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    host = f"{database['USER']}{password}@{database['HOST']}:{database['PORT']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"postgres://{host}/{database['NAME']}",
        "REDIS_URL": broker_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "MEDIA_ROOT": str(media),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "0",
        # So that the suite finds the workers' own sessions in pg_stat_activity.
        "PGAPPNAME": "icsm-fault-worker",
        "LOG_LEVEL": "WARNING",
    }


# Time and state -------------------------------------------------------------------------------

SECOND = datetime.timedelta(seconds=1)


def time_passes() -> None:
    """As if the sweep's waits had gone by: every unsent notice was written longer ago than
    SWEEP_AFTER, and any claim on one is older than CLAIM_TIMEOUT (its worker is gone)."""
    back = max(SWEEP_AFTER, CLAIM_TIMEOUT) + SECOND
    Notification.objects.filter(email_state=State.PENDING).update(
        created_at=F("created_at") - back, email_claimed_at=F("email_claimed_at") - back
    )


def renderings_stall(*documents: int) -> None:
    """As if STALLED_AFTER had gone by for these documents in progress (lost ones only: a
    rendering under way whose start moves is one taken over, and stores nothing)."""
    Document.objects.filter(
        pk__in=documents, status__in=[Document.Status.QUEUED, Document.Status.RENDERING]
    ).update(
        requested_at=F("requested_at") - STALLED_AFTER - SECOND,
        started_at=F("started_at") - STALLED_AFTER - SECOND,
    )


def unsent() -> int:
    return Notification.objects.filter(email_state=State.PENDING).count()


@dataclass
class Figures:
    """What one fault did to the outbox: the notices written, the messages the SMTP server
    accepted, the notices it never got (lost) and the messages beyond one per notice."""

    notices: int
    messages: int
    lost: int
    doubled: int

    def __str__(self) -> str:
        return (
            f"{self.notices} notices, {self.messages} messages, "
            f"{self.lost} lost, {self.doubled} doubled"
        )


def figures(mailbox: Mailbox) -> Figures:
    """Each notice row against the messages received, by (address, subject)."""
    wanted = Counter()
    for notification in Notification.objects.select_related("user"):
        address = notification.user.email if notification.user_id else notification.email
        wanted[(address.lower(), _bare(notification.subject))] += 1
    received = mailbox.received()
    return Figures(
        notices=sum(wanted.values()),
        messages=sum(received.values()),
        lost=sum((wanted - received).values()),
        doubled=sum((received - wanted).values()),
    )


def inconsistencies(transitions: Counter) -> list[str]:
    """Every state that recovery should have settled and did not: a notice unsent or still
    claimed, a delivery without exactly one sent notice, a document neither ready (with its
    file) nor failed with its message (so it may be asked for again), a transition not logged
    exactly as often as taken (`transitions`: (mission pk, name) -> times), a decision whose
    notices are all out but that is not recorded as communicated."""
    problems = []
    for n in Notification.objects.exclude(email_state=State.SENT):
        problems.append(f"notice {n.pk} ({n.event}) is {n.email_state}, {n.email_error}")
    for n in Notification.objects.filter(email_state=State.PENDING, email_claimed_at__isnull=False):
        problems.append(f"notice {n.pk} ({n.event}) is still claimed")
    for delivery in Delivery.objects.all():
        sent = Notification.objects.filter(
            Q(event=f"delivery:{delivery.pk}") | Q(event__startswith=f"delivery:{delivery.pk}:"),
            email_state=State.SENT,
        ).count()
        if sent != 1 or delivery.notification.email_state != State.SENT:
            problems.append(f"delivery {delivery.pk} has {sent} sent notices")
    for document in Document.objects.all():
        ready = document.status == Document.Status.READY and document.file
        if ready and not document.file.storage.exists(document.file.name):
            problems.append(f"document {document.pk} is ready without its file")
        failed = document.status == Document.Status.FAILED and document.error
        if not (ready or failed):
            problems.append(f"document {document.pk} is {document.status}")
    logged = Counter(TransitionLog.objects.values_list("mission_id", "transition"))
    if logged != transitions:
        problems.append(f"transitions logged {dict(logged)}, taken {dict(transitions)}")
    decisions = TransitionLog.objects.filter(transition__in=DECISION_TRANSITIONS)
    for log in decisions.select_related("mission"):
        communicated = log.mission.decision_communicated_at
        if communicated is None or communicated < log.at:
            problems.append(f"the decision of mission {log.mission_id} is not communicated")
    return problems


def stored_files(media: Path, mission: Mission) -> list[Path]:
    """The PDFs stored for a mission (a rendering stored twice leaves two)."""
    folder = media / "documents" / f"mission-{mission.pk}"
    return sorted(folder.iterdir()) if folder.exists() else []
