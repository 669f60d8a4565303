"""A real Celery worker on the real broker and database: a transition's notice arrives.

Runs where the suite runs on PostgreSQL and Redis (CI's second pass); the worker is a
separate process, so it needs a database both can reach.
"""

import time

import pytest
from django.conf import settings
from django.utils import timezone

from clusters.models import Country, Role
from clusters.services import role_grant
from missions.models import Notification
from missions.services import notices
from missions.services.mission import mission_transition
from missions.services.notices import SWEEP_AFTER
from missions.tasks import outbox_sweep_task
from tests.factories import UserFactory, make_mission
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


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


def test_a_notice_whose_queueing_was_lost_goes_out_once_through_the_sweep(worker):
    """The broker was down at commit: the notice waits in the outbox; the beat's sweep, run
    twice as two schedulers would, has the real worker send it exactly once."""
    rc_hc = UserFactory(username="rchc-sweep")
    role_grant(rc_hc, Role.RC_HC, country=Country.objects.get(code="PAK"))
    hcss = UserFactory(username="hcss-sweep")
    role_grant(hcss, Role.HCSS)
    mission = make_mission("PAK", title="Sweep test mission")
    # Written with the transition; its queueing lost (nothing was sent to the broker).
    receivers, notices.OUTBOX._receivers = notices.OUTBOX._receivers, []
    try:
        mission_transition(mission, "submit", rc_hc)
    finally:
        notices.OUTBOX._receivers = receivers
    Notification.objects.update(created_at=timezone.now() - SWEEP_AFTER * 2)
    outbox_sweep_task.delay()
    outbox_sweep_task.delay()
    assert wait_for(lambda: Notification.objects.filter(user=hcss, email_state="sent").exists()), (
        "the sweep did not have the worker send the notice"
    )
    assert wait_for(lambda: worker.exists() and any(worker.iterdir()))
    time.sleep(2)  # let a second, wrongful send show itself
    sent = "".join(path.read_text() for path in worker.iterdir())
    assert sent.count("To: hcss-sweep@example.org") == 1
