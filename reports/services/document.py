"""Writes of documents: asking for a PDF, and rendering it (in a worker, reports.tasks).

A document is rendered once per source version: asking twice reuses the row, a failed or lost
rendering may be asked for again. Rendering happens outside any transaction, after the row is
claimed with a conditional update, so two workers never render the same document.

Follow-up status reports are a series of their own: each one asked for is a new document
with the next number, and the schedule makes one a month per mission in follow-up.

Each document is in one language (its fixed text: headings, labels, dates): the same text in
another language is another document, asked for the same way. Views pass the language the
page is read in; the schedule and whatever no reader asked for use the site's.
"""

from __future__ import annotations

import datetime
import hashlib
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from missions.models import Mission, ReportVersion, ToRVersion
from missions.selectors.missions import missions_visible_to
from missions.selectors.report import is_final, report_current, report_final
from missions.services.tor import SECTIONS, section_label
from missions.workflow import Hook, Status, holds
from reports.models import STALLED_AFTER, Document, document_path
from reports.pdf import RenderError, RenderMemoryLimit, RenderTimeLimit, render_pdf
from reports.selectors.document import (
    followup_status_context,
    public_report_context,
    report_context,
    tor_current_version,
)

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


def documents_stalled_requeue(now: datetime.datetime | None = None) -> list[int]:
    """Queue again every document whose queueing or worker was lost (queued or rendering for
    longer than STALLED_AFTER), so that none waits for someone to ask again. Each is taken
    with a conditional update: two sweeps at once queue it once. Returns the pks queued."""
    now = now or timezone.now()
    cutoff = now - STALLED_AFTER
    lost = Q(status=Document.Status.QUEUED, requested_at__lt=cutoff) | Q(
        status=Document.Status.RENDERING, started_at__lt=cutoff
    )
    queued = []
    with transaction.atomic():
        for pk in Document.objects.filter(lost).values_list("pk", flat=True):
            taken = Document.objects.filter(lost, pk=pk).update(
                status=Document.Status.QUEUED, requested_at=now, started_at=None
            )
            if taken:
                RENDER.fire_on_commit(pk)
                queued.append(pk)
    return queued


def document_language(language: str) -> str:
    """One of the site's languages (a variant such as fr-ca reads as fr); LookupError for any
    other. Documents exist in these only, so no request can make more than one per language."""
    return translation.get_supported_language_variant(language)


def document_ensure(
    mission: Mission | int,
    kind: str,
    version: int,
    *,
    final: bool,
    user=None,
    language: str = settings.LANGUAGE_CODE,
    as_of: datetime.date | None = None,
    requeue: bool = True,
) -> Document:
    """The document of `kind` made from text version `version` in `language`, asked for now
    if it was not yet. A failed or lost one is queued again, unless `requeue` is False (an
    anonymous visitor must not make a failing document render again at each visit; the sweep
    still takes the lost ones). No scope check: callers decide who may ask. Call it inside
    the transaction of what needs the document; it renders after commit."""
    mission_pk = mission.pk if isinstance(mission, Mission) else mission
    with transaction.atomic():
        document, created = Document.objects.get_or_create(
            mission_id=mission_pk,
            kind=kind,
            source_version=version,
            source_final=final,
            language=document_language(language),
            defaults={"requested_by": user, "as_of": as_of},
        )
        if created:
            RENDER.fire_on_commit(document.pk)
        elif requeue and _requeue(document, user):
            document.refresh_from_db()
    return document


def document_in_language(
    document: Document, language: str, *, user=None, requeue: bool = True
) -> Document:
    """The same text as `document` (same version, same date) in `language`: the document
    itself when it is in it, else the one asked for now (`document_ensure`)."""
    return document_ensure(
        document.mission_id,
        document.kind,
        document.source_version,
        final=document.source_final,
        user=user,
        language=language,
        as_of=document.as_of,
        requeue=requeue,
    )


def document_request(
    mission: Mission,
    user,
    kind: str = Document.Kind.TOR,
    language: str = settings.LANGUAGE_CODE,
) -> Document:
    """Ask for the PDF of `kind` of the mission's current text in `language`; it renders in a
    worker.

    TOR and REPORT: the current version of the ToR or of the report. PUBLIC_REPORT: the
    public version of the report, only from its final version. Anyone who sees the mission
    may ask. Asking again for the same version returns the same document; a failed (or lost)
    one is queued again. Follow-up status reports have their own `followup_status_request`.
    """
    with transaction.atomic():
        if not missions_visible_to(user).filter(pk=mission.pk).exists():
            raise PermissionDenied(_("No such mission."))
        if kind == Document.Kind.TOR:
            version = tor_current_version(mission)
            if version is None:
                raise ValidationError(_("There are no Terms of Reference to make a PDF of yet."))
            final = version.tor.final_version_id == version.pk
        elif kind == Document.Kind.REPORT:
            version = report_current(mission)
            if version is None:
                raise ValidationError(_("There is no report to make a PDF of yet."))
            final = is_final(version)
        elif kind == Document.Kind.PUBLIC_REPORT:
            version = report_final(mission)
            if version is None:
                raise ValidationError(
                    _(
                        "The public version is made from the final report: the leader marks "
                        "the report final first."
                    )
                )
            final = True
        else:
            raise ValidationError(_("This kind of document cannot be asked for here."))
        return document_ensure(
            mission, kind, version.number, final=final, user=user, language=language
        )


def followup_status_request(
    mission: Mission, user, language: str = settings.LANGUAGE_CODE
) -> Document:
    """The leader asks for a follow-up status report as of today, in `language`: each request
    is a new document, the next of the mission's series. It renders in a worker."""
    with transaction.atomic():
        # Locked: two requests at once would take the same number.
        locked = (
            missions_visible_to(user).select_for_update(of=("self",)).filter(pk=mission.pk).first()
        )
        if locked is None:
            raise PermissionDenied(_("No such mission."))
        if not holds(user, "lead_mission", locked):
            raise PermissionDenied(_("Only the mission's leader makes a follow-up status report."))
        number = _last_status_report(locked.pk) + 1
        document = Document.objects.create(
            mission=locked,
            kind=Document.Kind.FOLLOWUP_STATUS,
            source_version=number,
            language=document_language(language),
            as_of=timezone.localdate(),
            requested_by=user,
        )
        RENDER.fire_on_commit(document.pk)
    return document


def followup_status_in_language(mission: Mission, user, number: int, language: str) -> Document:
    """Status report No. `number` again in `language`: the same date and number, for a reader
    of another language. Whoever sees the mission may ask, as for its other PDFs."""
    with transaction.atomic():
        if not missions_visible_to(user).filter(pk=mission.pk).exists():
            raise PermissionDenied(_("No such mission."))
        original = (
            Document.objects.filter(
                mission=mission, kind=Document.Kind.FOLLOWUP_STATUS, source_version=number
            )
            .order_by("pk")
            .first()
        )
        if original is None:
            raise ValidationError(_("This status report does not exist."))
        return document_in_language(original, language, user=user)


def _last_status_report(mission_pk: int) -> int:
    return (
        Document.objects.filter(
            mission_id=mission_pk, kind=Document.Kind.FOLLOWUP_STATUS
        ).aggregate(last=Max("source_version"))["last"]
        or 0
    )


def followup_status_reports_due(today: datetime.date | None = None) -> list[int]:
    """The schedule's monthly status report: for each mission in follow-up that has none for
    this month yet, make it (as of `today`, in the site's language) and queue its rendering.
    Returns the new documents' pks.

    Decided from the current state at each tick, so the first tick of a month (or the first
    after missed ones) makes the month's report. The unique (mission, kind, period) row
    claims it: a second tick, or two at once, make nothing more. A constant number of
    queries, whatever the number of missions.
    """
    today = today or timezone.localdate()
    period = today.strftime("%Y-%m")
    kind = Document.Kind.FOLLOWUP_STATUS
    with transaction.atomic():
        due = list(
            Mission.objects.select_for_update()
            .filter(status=Status.FOLLOW_UP)
            .exclude(
                Exists(Document.objects.filter(mission=OuterRef("pk"), kind=kind, period=period))
            )
            .values_list("pk", flat=True)
        )
        if not due:
            return []
        last = dict(
            Document.objects.filter(mission__in=due, kind=kind)
            .order_by()
            .values("mission")
            .annotate(last=Max("source_version"))
            .values_list("mission", "last")
        )
        Document.objects.bulk_create(
            [
                Document(
                    mission_id=pk,
                    kind=kind,
                    source_version=last.get(pk, 0) + 1,
                    language=settings.LANGUAGE_CODE,
                    as_of=today,
                    period=period,
                )
                for pk in due
            ],
            ignore_conflicts=True,
        )
        created = list(
            Document.objects.filter(
                mission__in=due, kind=kind, period=period, status=Document.Status.QUEUED
            ).values_list("pk", flat=True)
        )
        for pk in created:
            RENDER.fire_on_commit(pk)
    return created


def document_retry(document: Document, user) -> bool:
    """Queue a failed or stalled document again (the admin's action). False if it is neither."""
    with transaction.atomic():
        if not missions_visible_to(user).filter(pk=document.mission_id).exists():
            raise PermissionDenied(_("No such mission."))
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


def _report_version(document: Document) -> ReportVersion:
    return ReportVersion.objects.select_related("report").get(
        report__mission=document.mission_id, number=document.source_version
    )


def _report_html(document: Document) -> str:
    context = report_context(
        document.mission, _report_version(document), final=document.source_final
    )
    return render_to_string("reports/report.html", {**context, "public": False})


def _public_report_html(document: Document) -> str:
    context = public_report_context(document.mission, _report_version(document))
    return render_to_string("reports/report.html", {**context, "public": True})


def _followup_status_html(document: Document) -> str:
    as_of = document.as_of or timezone.localdate()
    context = followup_status_context(document.mission, as_of)
    return render_to_string(
        "reports/followup_status.html", {**context, "number": document.source_version}
    )


RENDERERS = {
    Document.Kind.TOR: _tor_html,
    Document.Kind.REPORT: _report_html,
    Document.Kind.PUBLIC_REPORT: _public_report_html,
    Document.Kind.FOLLOWUP_STATUS: _followup_status_html,
}


def _failure(error: Exception) -> str:
    """The short message a failed document shows on its page."""
    if isinstance(error, RenderTimeLimit):
        reason = _("it took longer than the limit of %(seconds)s seconds") % {
            "seconds": f"{error.seconds:g}"
        }
    elif isinstance(error, RenderMemoryLimit):
        reason = _("it needed more memory than the limit of %(megabytes)s MB") % {
            "megabytes": error.megabytes
        }
    elif isinstance(error, RenderError):
        reason = _("the renderer stopped (%(detail)s)") % {"detail": error.detail}
    else:
        return _(
            "The PDF could not be made (%(error)s). Try again; if it fails again, tell HCSS."
        ) % {"error": type(error).__name__}
    return _("The PDF could not be made: %(reason)s. Try again; if it fails again, tell HCSS.") % {
        "reason": reason
    }


def document_render(document_pk: int) -> bool:
    """Render one document and store its file. True if this call rendered it.

    Claims the work first (queued, or rendering for so long it was lost, becomes rendering),
    so a second run of the same task does nothing. Any failure ends as `failed` with a short
    message for the page, never stuck in `rendering`. Its fixed text, dates and message are
    in the document's language, whatever the worker's.
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
    with translation.override(document.language):
        try:
            html = RENDERERS[document.kind](document)
            data, pages = render_pdf(html)
            storage = document.file.storage
            name = storage.save(document_path(document, ""), ContentFile(data))
        except Exception as error:
            logger.exception("Rendering document %s failed", document_pk)
            mine.update(
                status=Document.Status.FAILED, finished_at=timezone.now(), error=_failure(error)
            )
            return False
    stored = mine.update(
        status=Document.Status.READY,
        file=name,
        pages=pages,
        # What a recipient checks their copy against (sha256sum).
        sha256=hashlib.sha256(data).hexdigest(),
        finished_at=timezone.now(),
    )
    if not stored:
        storage.delete(name)
    return bool(stored)
