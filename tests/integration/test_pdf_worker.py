"""A real Celery worker on the real broker and database renders the ToR's PDF.

Runs where the suite runs on PostgreSQL and Redis (CI's second pass), like test_worker.py:
the worker is a separate process, so it shares the database and the private media folder.
"""

import io

import pypdf
import pytest
from django.conf import settings

from clusters.models import Role
from clusters.services import role_grant
from missions.services.tor import tor_save, tor_start
from reports.models import Document
from reports.services.document import document_request
from tests.factories import UserFactory, make_mission
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_asking_for_the_tor_pdf_gets_it_rendered_by_the_worker(worker):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    gcc = UserFactory(username="gcc-worker")
    role_grant(gcc, Role.GCC)
    mission = make_mission("PAK", status="in_planning", title="Worker PDF mission")
    tor_start(mission, gcc)
    tor_save(mission, gcc, base_number=1, change_note="Timing.", timing="Ten days from 2 March.")

    document = document_request(mission, gcc)  # commits: on_commit sends to the broker

    assert wait_for(
        lambda: Document.objects.filter(
            pk=document.pk, status__in=[Document.Status.READY, Document.Status.FAILED]
        ).exists()
    ), "the worker did not render the PDF in time"
    document.refresh_from_db()
    assert document.status == Document.Status.READY, document.error
    with document.file.open("rb") as handle:
        pages = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(handle.read())).pages]
    assert document.pages == len(pages)
    assert "Worker PDF mission" in pages[0]
    assert "Terms of Reference" in pages[0]
    assert "Version 2" in pages[0]
    assert "Ten days from 2 March." in " ".join(pages[1:])
