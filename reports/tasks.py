"""Celery tasks of reports: take a document's pk, and let the service claim and render it;
and the schedule's monthly follow-up status reports."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from reports.services.document import (
    RENDER,
    document_render,
    documents_stalled_requeue,
    followup_status_reports_due,
)

logger = logging.getLogger(__name__)


# The limits end a runaway rendering as a failure (the service catches the soft one).
@shared_task(soft_time_limit=120, time_limit=180)
def render_document_task(document_pk: int) -> bool:
    return document_render(document_pk)


@shared_task
def documents_sweep_task() -> int:
    """Beat (`documents-sweep`): queue again the documents whose queueing or worker was lost."""
    return len(documents_stalled_requeue())


@shared_task
def followup_status_reports_task() -> int:
    """Beat (`follow-up-status-reports`): this month's status report of each mission in
    follow-up that has none yet; any tick of the month makes it once."""
    return len(followup_status_reports_due(timezone.localdate()))


@RENDER.connect
def _queue(document_pk: int) -> None:
    try:
        render_document_task.delay(document_pk)
    except Exception:
        logger.exception("Could not queue the rendering of document %s", document_pk)
