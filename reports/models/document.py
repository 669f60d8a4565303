"""Documents made from a mission's records: the PDF of its Terms of Reference now, its report
later. A worker renders each one once and stores the file here; views serve the stored file."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clusters.models import ChoiceLabels

# A document still queued or rendering after this long was lost (a broker or worker restart):
# asking for it again queues it again, and a worker may take it over.
STALLED_AFTER = datetime.timedelta(minutes=5)


def document_path(document: Document, filename: str) -> str:
    final = "-final" if document.source_final else ""
    return (
        f"documents/mission-{document.mission_id}/"
        f"{document.kind}-v{document.source_version}{final}-{document.language}.pdf"
    )


class Document(ChoiceLabels, models.Model):
    """One rendering of one version of a mission's text (e.g. ToR version 3, final)."""

    class Kind(models.TextChoices):
        TOR = "tor", _("Terms of Reference")
        REPORT = "report", _("Mission report")
        PUBLIC_REPORT = "public_report", _("Mission report, public version")
        FOLLOWUP_STATUS = "followup_status", _("Follow-up status report")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RENDERING = "rendering", _("Rendering")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The version of the text rendered; for a follow-up status report, its number in the
    # mission's series of them.
    source_version = models.PositiveIntegerField(_("version"))
    # A version marked final after its draft PDF was made prints again, saying "Final".
    source_final = models.BooleanField(_("final"), default=False)
    # The language of its fixed text (headings, labels, dates); what users typed prints as
    # they typed it. Each language of the same text is a document of its own.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    # Under MEDIA_ROOT, which is private: only reports.views.document_download hands it out.
    file = models.FileField(upload_to=document_path, blank=True, max_length=255)
    pages = models.PositiveIntegerField(null=True, blank=True)
    # The SHA-256 of the stored file, shown on the page so a recipient can check their copy.
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    # A follow-up status report tells the state of the action points on this date.
    as_of = models.DateField(null=True, blank=True)
    # The month ("2026-12") of a status report made by the schedule, in the site's language:
    # one per mission and month. The same report made later in another language has none.
    period = models.CharField(max_length=7, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "kind", "source_version", "source_final", "language"],
                name="one_document_per_source_version",
            ),
            models.UniqueConstraint(
                fields=["mission", "kind", "period"],
                condition=~models.Q(period=""),
                name="one_scheduled_document_per_period",
            ),
        ]

    def __str__(self) -> str:
        names = {
            "kind": self.get_kind_display(),
            "mission": self.mission,
            "version": self.source_version,
        }
        if self.source_final:
            return gettext("%(kind)s of %(mission)s, version %(version)s, final") % names
        return gettext("%(kind)s of %(mission)s, version %(version)s") % names

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RENDERING)

    @property
    def stalled(self) -> bool:
        """Queued or rendering for too long: the work was lost and may be asked for again."""
        since = self.started_at if self.status == self.Status.RENDERING else self.requested_at
        return self.in_progress and since is not None and timezone.now() - since > STALLED_AFTER
