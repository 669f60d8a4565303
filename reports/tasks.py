"""Celery tasks of reports: take a document's pk, and let the service claim and render it."""

from __future__ import annotations

from celery import shared_task

from reports.services import document_render


# The limits end a runaway rendering as a failure (the service catches the soft one).
@shared_task(soft_time_limit=120, time_limit=180)
def render_document_task(document_pk: int) -> bool:
    return document_render(document_pk)
