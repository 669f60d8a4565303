"""A real Celery worker on the real broker and database: a transition's notice arrives.

Runs where the suite runs on PostgreSQL and Redis (CI's second pass); the worker is a
separate process, so it needs a database both can reach.
"""

import pytest
from django.conf import settings

from clusters.models import Country, Role
from clusters.services import role_grant
from missions.models import Notification
from missions.services.mission import mission_transition
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
