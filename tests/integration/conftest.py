"""A real Celery worker, as a separate process on the real broker and database.

Used where the suite runs on PostgreSQL and Redis (CI's second pass): the worker shares the
database, the private media folder and a file-based mailbox with the test.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(on_postgres, tmp_path, settings):
    """Start a worker on a queue of its own; yields the folder its e-mails are written to."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis: set REDIS_URL (CI runs the suite with it)")
    settings.MEDIA_ROOT = tmp_path / "private"
    queue = f"test-{uuid.uuid4().hex[:8]}"  # never steal work from another worker
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
    process = subprocess.Popen(
        [*command, "--loglevel=WARNING", "-Q", queue],
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


def wait_for(predicate, seconds: float = 60) -> bool:
    """Poll until `predicate()` holds (True) or the time is up (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False
