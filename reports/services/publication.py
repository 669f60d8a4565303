"""Writes of the publication: the leader publishes the public version of the final report, and
may withdraw it with a reason. Both go through the publication's runner
(`reports.models.PUBLICATION`), which checks the leader's permission and writes the log HCSS
and the leader read; what is published (version, public PDF, summary, year) is set in the
same transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from missions.models import Mission
from missions.selectors.report import public_summary, report_final
from missions.workflow import Status
from reports.models import PUBLICATION, Document, Publication, PublicationLog
from reports.selectors.publication import publications_visible_to
from reports.services.document import document_ensure, document_in_language

# A report is made public once it has gone to its list.
PUBLISHABLE_STATES = (Status.FOLLOW_UP, Status.CLOSED)


def mission_year(mission: Mission) -> int | None:
    """The year the public page files a mission under: its year in the country, else the
    year it was decided."""
    if mission.in_country_from:
        return mission.in_country_from.year
    if mission.decided_at:
        return timezone.localtime(mission.decided_at).year
    return None


def _publication(mission: Mission) -> Publication:
    # Made on first use; a refused step rolls it back with everything else.
    publication, _created = Publication.objects.get_or_create(mission_id=mission.pk)
    return publication


def publication_publish(mission: Mission, user) -> PublicationLog:
    """Publish the public version of the mission's final report, as `user` (the leader).

    Raises TransitionError (not found, not permitted, already published) or ValidationError
    (no final report yet, or the report not yet distributed); nothing changes then.
    """
    with transaction.atomic():
        publication = _publication(mission)
        # The runner first: whether this user may take the step at all, from this state.
        log = PUBLICATION.run(publications_visible_to(user), publication, "publish", user)
        current = Mission.objects.get(pk=mission.pk)
        if current.status not in PUBLISHABLE_STATES:
            raise ValidationError(
                _(
                    "The report is published once it has gone to its distribution list: "
                    "distribute it first."
                )
            )
        version = report_final(current)
        if version is None:
            raise ValidationError(
                _("Only a final report is published: mark the report's current version final.")
            )
        # In the site's language: what every visitor is offered until theirs is made.
        document = document_ensure(
            current,
            Document.Kind.PUBLIC_REPORT,
            version.number,
            final=True,
            user=user,
            language=settings.LANGUAGE_CODE,
        )
        Publication.objects.filter(pk=publication.pk).update(
            version=version.number,
            document=document,
            summary=public_summary(version),
            year=mission_year(current),
            published_at=timezone.now(),
            published_by=user,
        )
        PublicationLog.objects.filter(pk=log.pk).update(version=version.number)
    log.version = version.number
    return log


def publication_withdraw(mission: Mission, user, reason: str) -> PublicationLog:
    """Take the public version down, as `user` (the leader), with a reason kept in the log.
    It disappears from the public page, its PDF and the feed at once."""
    with transaction.atomic():
        publication = _publication(mission)
        log = PUBLICATION.run(
            publications_visible_to(user), publication, "withdraw", user, reason=reason
        )
        PublicationLog.objects.filter(pk=log.pk).update(version=publication.version)
    log.version = publication.version
    return log


def public_pdf_request(publication: Publication, language: str) -> Document | None:
    """Ask for the public PDF in a visitor's language: anyone may, with no login. Bounded all
    the same: one document per language of the site, and one that failed is not rendered
    again at each visit (HCSS queues it again from the admin)."""
    if publication.document is None:
        return None
    return document_in_language(publication.document, language, requeue=False)
