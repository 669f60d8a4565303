"""The demo's publications: the historical missions' final reports, published by their leader.

Their distribution happened when they took `distribute_report` (missions.demo); here the
leader makes each public version public, as the procedure ends.
"""

from __future__ import annotations

from missions.models import Mission
from missions.workflow import Status
from reports.models import Publication, PublicationStatus
from reports.services.publication import publication_publish


def load_demo_reports(users: dict) -> None:
    """Publish every closed mission's final report not yet published (idempotent)."""
    published = Publication.objects.filter(status=PublicationStatus.PUBLISHED).values("mission")
    closed = Mission.objects.filter(status=Status.CLOSED, report__final_version__isnull=False)
    for mission in closed.exclude(pk__in=published).order_by("pk"):
        publication_publish(mission, users["mission-leader"])
