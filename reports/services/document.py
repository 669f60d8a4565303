"""Writes of documents: asking for a PDF, and rendering it (in a worker, reports.tasks).

A document is rendered once per source version: asking twice reuses the row, a failed or lost
rendering may be asked for again. Rendering happens outside any transaction, after the row is
claimed with a conditional update, so two workers never render the same document.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from missions.models import Mission, ToRVersion
from missions.selectors.missions import missions_visible_to
from missions.services.tor import SECTIONS, section_label
from missions.workflow import Hook
from reports.models import STALLED_AFTER, Document, document_path
from reports.pdf import render_pdf
from reports.selectors.document import tor_current_version

logger = logging.getLogger(__name__)


# Fired after commit with a document's pk; reports.tasks queues its rendering. A broker
# outage must not break the page: the document stays queued, shows as stalled after a while,
# and can be asked for again.
RENDER = Hook("render")


def _requeue(document: Document, user) -> bool:
    """Put a failed or stalled document back in the queue. False if it is neither."""
    if not (document.status == Document.Status.FAILED or document.stalled):
        return False
    requeued = Document.objects.filter(pk=document.pk, status=document.status).update(
        status=Document.Status.QUEUED,
        requested_by=user,
        requested_at=timezone.now(),
        started_at=None,
        finished_at=None,
        error="",
    )
    if requeued:
        RENDER.fire_on_commit(document.pk)
    return bool(requeued)


def document_ensure(
    mission: Mission | int, kind: str, version: int, *, final: bool, user=None
) -> Document:
    """The document of `kind` made from text version `version`, asked for now if it was not
    yet (a failed or lost one is queued again). No scope check: callers decide who may ask.
    Call it inside the transaction of what needs the document; it renders after commit."""
    mission_pk = mission.pk if isinstance(mission, Mission) else mission
    with transaction.atomic():
        document, created = Document.objects.get_or_create(
            mission_id=mission_pk,
            kind=kind,
            source_version=version,
            source_final=final,
            defaults={"requested_by": user},
        )
        if created:
            RENDER.fire_on_commit(document.pk)
        elif _requeue(document, user):
            document.refresh_from_db()
    return document


def document_request(mission: Mission, user, kind: str = Document.Kind.TOR) -> Document:
    """Ask for the PDF of the mission's current ToR version; it renders in a worker.

    Anyone who sees the mission may ask. Asking again for the same version returns the same
    document; a failed (or lost) one is queued again.
    """
    if kind != Document.Kind.TOR:
        raise ValidationError("Only the Terms of Reference can be made into a PDF for now.")
    with transaction.atomic():
        if not missions_visible_to(user).filter(pk=mission.pk).exists():
            raise PermissionDenied("No such mission.")
        version = tor_current_version(mission)
        if version is None:
            raise ValidationError("There are no Terms of Reference to make a PDF of yet.")
        return document_ensure(
            mission,
            kind,
            version.number,
            final=version.tor.final_version_id == version.pk,
            user=user,
        )


def document_retry(document: Document, user) -> bool:
    """Queue a failed or stalled document again (the admin's action). False if it is neither."""
    with transaction.atomic():
        if not missions_visible_to(user).filter(pk=document.mission_id).exists():
            raise PermissionDenied("No such mission.")
        return _requeue(document, user)


def _tor_html(document: Document) -> str:
    version = ToRVersion.objects.select_related("tor", "author").get(
        tor__mission=document.mission_id, number=document.source_version
    )
    sections = [{"label": section_label(name), "text": getattr(version, name)} for name in SECTIONS]
    return render_to_string(
        "reports/tor.html",
        {
            "mission": document.mission,
            "version": version,
            "final": document.source_final,
            "sections": sections,
        },
    )


RENDERERS = {Document.Kind.TOR: _tor_html}


def document_render(document_pk: int) -> bool:
    """Render one document and store its file. True if this call rendered it.

    Claims the work first (queued, or rendering for so long it was lost, becomes rendering),
    so a second run of the same task does nothing. Any failure ends as `failed` with a short
    message for the page, never stuck in `rendering`.
    """
    started = timezone.now()
    claimed = (
        Document.objects.filter(pk=document_pk)
        .filter(
            Q(status=Document.Status.QUEUED)
            | Q(status=Document.Status.RENDERING, started_at__lt=started - STALLED_AFTER)
        )
        .update(status=Document.Status.RENDERING, started_at=started, error="")
    )
    if not claimed:
        return False
    # Each later write matches on `started`: if this run is ever taken over, it changes nothing.
    mine = Document.objects.filter(
        pk=document_pk, status=Document.Status.RENDERING, started_at=started
    )
    document = Document.objects.select_related("mission__country").get(pk=document_pk)
    try:
        html = RENDERERS[document.kind](document)
        data, pages = render_pdf(html)
        storage = document.file.storage
        name = storage.save(document_path(document, ""), ContentFile(data))
    except Exception as error:
        logger.exception("Rendering document %s failed", document_pk)
        mine.update(
            status=Document.Status.FAILED,
            finished_at=timezone.now(),
            error=f"The PDF could not be made ({type(error).__name__}). Try again; if it "
            "fails again, tell HCSS.",
        )
        return False
    stored = mine.update(
        status=Document.Status.READY, file=name, pages=pages, finished_at=timezone.now()
    )
    if not stored:
        storage.delete(name)
    return bool(stored)
