"""Reads of documents. Scope comes from the missions: a document is visible to whoever sees
its mission (missions.selectors.missions_visible_to), and to nobody else."""

from __future__ import annotations

from django.db.models import QuerySet

from missions.models import Mission, ToRVersion
from missions.selectors.missions import missions_visible_to
from reports.models import Document


def documents_visible_to(user) -> QuerySet[Document]:
    return Document.objects.filter(mission__in=missions_visible_to(user))


def tor_current_version(mission: Mission) -> ToRVersion | None:
    """The ToR as it stands (its newest version), with the ToR row to tell if it is final."""
    return (
        ToRVersion.objects.filter(tor__mission=mission)
        .select_related("tor", "author")
        .order_by("-number")
        .first()
    )


def tor_document(mission: Mission) -> tuple[ToRVersion | None, Document | None]:
    """The current ToR version and the PDF made (or being made) of it, if any."""
    version = tor_current_version(mission)
    if version is None:
        return None, None
    document = Document.objects.filter(
        mission=mission,
        kind=Document.Kind.TOR,
        source_version=version.number,
        source_final=version.tor.final_version_id == version.pk,
    ).first()
    return version, document
