"""A real Celery worker on the real broker and database: a transition's notice arrives.

Runs where the suite runs on PostgreSQL and Redis (CI's second pass); the worker is a
separate process, so it needs a database both can reach.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from clusters.models import Country, Role
from clusters.services import role_grant
from config.celery import app as celery_app
from missions.models import Notification
from missions.services import mission_transition
from tests.factories import UserFactory, make_mission

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def worker(on_postgres, tmp_path):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis: set REDIS_URL (CI runs the suite with it)")
    queue = f"test-{uuid.uuid4().hex[:8]}"  # never steal work from another worker
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "-Q",
            queue,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    changed = {"task_always_eager": False, "task_default_queue": queue}
    before = {key: celery_app.conf[key] for key in changed}
    celery_app.conf.update(changed)
    yield tmp_path / "mail"
    celery_app.conf.update(before)
    process.terminate()
    output, _ = process.communicate(timeout=30)
    print(output.decode(errors="replace"))


def wait_for(predicate, seconds=45):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_submitting_a_request_reaches_hcss_through_the_worker(worker):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    rc_hc = UserFactory(username="rchc-worker")
    role_grant(rc_hc, Role.RC_HC, country=Country.objects.get(code="PAK"))
    hcss = UserFactory(username="hcss-worker")
    role_grant(hcss, Role.HCSS)
    mission = make_mission("PAK", title="Worker test mission")

    mission_transition(mission, "submit", rc_hc)  # commits: on_commit sends to the broker

    assert wait_for(
        lambda: Notification.objects.filter(user=hcss, emailed_at__isnull=False).exists()
    ), "the worker did not notify and e-mail HCSS in time"
    notification = Notification.objects.get(user=hcss)
    assert "Worker test mission" in notification.subject
    assert wait_for(lambda: worker.exists() and any(worker.iterdir()))
    sent = "".join(path.read_text() for path in worker.iterdir())
    assert "To: hcss-worker@example.org" in sent
    assert "Worker test mission" in sent
