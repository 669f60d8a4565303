"""Reads of the publications: the leader's and HCSS's view of one (its log), and the public
face, which shows published reports only and reads their text through the public-version
selectors of missions (`public_sections`, `public_findings`), never anything else."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from clusters.models import Country
from missions.models import Mission, ReportVersion
from missions.selectors.missions import missions_visible_to
from missions.selectors.report import findings_by_area, public_findings, public_sections
from missions.workflow import holds
from reports.models import Document, Publication, PublicationLog, PublicationStatus
from reports.selectors.document import document_translations, in_language


def publications_visible_to(user) -> QuerySet[Publication]:
    """The publications of the missions `user` sees (the runner's scope)."""
    return Publication.objects.filter(mission__in=missions_visible_to(user))


def sees_publication_log(user, mission: Mission) -> bool:
    """The leader and HCSS follow a mission's publication."""
    return holds(user, "lead_mission", mission) or holds(user, "triage_mission", mission)


def publication_of(mission: Mission) -> Publication | None:
    return (
        Publication.objects.select_related("document", "published_by")
        .filter(mission=mission)
        .first()
    )


def publication_log(publication: Publication | None) -> QuerySet[PublicationLog]:
    if publication is None or publication.pk is None:
        return PublicationLog.objects.none()
    return publication.log.select_related("user").order_by("-at", "-pk")


# The public face ------------------------------------------------------------------------------


def published() -> QuerySet[Publication]:
    """Published reports, newest first, with what the list shows of each."""
    return (
        Publication.objects.filter(status=PublicationStatus.PUBLISHED)
        .select_related("mission__country", "document")
        .order_by("-published_at", "-pk")
    )


def published_filtered(country: str = "", year: int | None = None) -> QuerySet[Publication]:
    """Published reports of one country (its code) and year, each when given."""
    reports = published()
    if country:
        reports = reports.filter(mission__country__code=country)
    if year:
        reports = reports.filter(year=year)
    return reports


def public_countries() -> QuerySet[Country]:
    """The countries with a published report, for the list's filter."""
    return Country.objects.filter(pk__in=published().values("mission__country")).order_by("name")


def public_years() -> list[int]:
    """The years with a published report, newest first, for the list's filter."""
    return list(
        published().exclude(year=None).order_by("-year").values_list("year", flat=True).distinct()
    )


def public_pdf(publication: Publication, language: str = settings.LANGUAGE_CODE) -> Document | None:
    """The public PDF to hand a reader of `language`: theirs once it is ready, else one ready
    in another language (the site's first, which publishing made), else None."""
    if publication.document is None:
        return None
    mine, other = in_language(document_translations(publication.document), language)
    return mine if mine is not None and mine.status == Document.Status.READY else other


def public_version(publication: Publication) -> tuple[ReportVersion | None, list[dict], list[dict]]:
    """The published version and what the public sees of it: its public sections, and its
    public findings (never an internal one) grouped by area (`findings_by_area`)."""
    version = (
        ReportVersion.objects.filter(
            report__mission=publication.mission_id, number=publication.version
        )
        .select_related("report")
        .first()
    )
    if version is None:
        return None, [], []
    sections = [s for s in public_sections(version) if s["text"].strip()]
    return version, sections, findings_by_area(public_findings(version))
