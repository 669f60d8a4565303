"""Writes of the report's distribution: one e-mail with a personal download link to each
address on the list, once per report version, and the record of each download.

The mission's `distribute_report` step sends the final version to the list (the hook below
writes the deliveries in the step's own transaction); after it, a newer final version (a
correction made in follow-up) or an address added later is sent from the distribution page,
through the same `deliveries_send`. Each delivery's e-mail is a notice of the outbox (built
when it goes, so the link's clock starts when it is sent): sent, failed and retried are the
outbox's own record.

Each recipient is written to in their language (`address_language`: that of their account,
else the site's), and their link serves the final report in that language.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from missions.models import Mission, Notification, ReportVersion, TransitionLog
from missions.selectors.missions import mission_for_update
from missions.selectors.report import edits_distribution, report_final
from missions.services.notices import email_builder, notify_built, site_url
from missions.workflow import Status, on_transition
from reports.models import Delivery, Document
from reports.selectors.distribution import (
    address_language,
    link_signer,
    recipients_without,
    report_contacts,
)
from reports.services.document import document_ensure, document_in_language

BUILDER = "report_delivery"
# After the mission's `distribute_report`: the report is out, and what is sent from the
# distribution page follows it (a correction, an address added later).
DISTRIBUTED_STATES = (Status.FOLLOW_UP, Status.CLOSED)


def delivery_token(delivery: Delivery) -> str:
    """The signed, dated token of the delivery's personal link."""
    return link_signer().sign(str(delivery.pk))


def delivery_url(delivery: Delivery) -> str:
    return site_url(reverse("reports:delivery", args=[delivery_token(delivery)]))


def _subject(mission: Mission, number: int, language: str) -> str:
    """What the outbox shows of a delivery's e-mail (the builder writes the one sent)."""
    with translation.override(language):
        return _("Mission report: %(title)s (version %(number)s)") % {
            "title": mission.title,
            "number": number,
        }


def deliveries_send(mission: Mission, version: ReportVersion, by) -> list[Delivery]:
    """Send final `version` of the report to each address on the list that has not had it:
    a delivery and its e-mail (in the outbox, sent after commit) per address. Returns the
    deliveries made now.

    No scope check: callers decide who may send. Exactly once per address and version,
    whoever runs it and however often: the unique delivery row decides, even between two runs
    at the same moment (the second one's insert waits for the first and then fails). Each
    recipient's PDF is the report in their language, asked for now if it was not yet.
    """
    with transaction.atomic():
        documents: dict[str, Document] = {}
        made = []
        for recipient in recipients_without(mission, version.number):
            language = address_language(recipient.email)
            if language not in documents:
                documents[language] = document_ensure(
                    mission,
                    Document.Kind.REPORT,
                    version.number,
                    final=True,
                    user=by,
                    language=language,
                )
            document = documents[language]
            try:
                with transaction.atomic():
                    delivery = Delivery.objects.create(
                        mission=mission,
                        recipient=recipient,
                        email=recipient.email,
                        name=recipient.name,
                        version=version.number,
                        document=document,
                    )
            except IntegrityError:
                continue  # sent by another run meanwhile
            created = notify_built(
                None,
                f"delivery:{delivery.pk}",
                BUILDER,
                _subject(mission, version.number, language),
                email=delivery.email,
                mission=mission,
            )
            if created:
                Delivery.objects.filter(pk=delivery.pk).update(notification_id=created[0])
                delivery.notification_id = created[0]
            made.append(delivery)
    return made


@on_transition("distribute_report")
def deliveries_on_distribution(log: TransitionLog) -> list[Delivery]:
    """The mission's `distribute_report` step sends its final report to the list, in the
    step's own transaction: the step and its e-mails commit, or neither does."""
    version = report_final(log.mission)
    if version is None:  # the step's guard requires it; nothing to send without it
        return []
    return deliveries_send(log.mission, version, log.user)


def distribution_send(mission: Mission, user) -> list[Delivery]:
    """The distribution page's "send": the current final version to everyone on the list who
    has not had it (a correction made in follow-up, an address added later). The leader and
    HCSS may; only once the report has been distributed (the step does the first sending)."""
    with transaction.atomic():
        current = mission_for_update(user, mission)
        if not edits_distribution(user, current):
            raise PermissionDenied(
                _("Only the mission's leader and HCSS send the report to its list.")
            )
        if current.status not in DISTRIBUTED_STATES:
            raise ValidationError(
                _(
                    "The report goes to its list when the leader takes the step 'Distribute "
                    "the report' on the mission's page."
                )
            )
        version = report_final(current)
        if version is None:
            raise ValidationError(
                _("Mark the report's current version final first: only a final report is sent.")
            )
        return deliveries_send(current, version, user)


def delivery_resend(mission: Mission, user, delivery_pk: int) -> Delivery:
    """A new e-mail with a fresh link for one delivery (its link expired, or the e-mail was
    lost), at the recipient's request. The leader and HCSS may. The new e-mail replaces the
    delivery's earlier one: if that one is still waiting, it is not sent. It is in the
    recipient's language now, and so is the PDF behind the link."""
    with transaction.atomic():
        current = mission_for_update(user, mission)
        if not edits_distribution(user, current):
            raise PermissionDenied(
                _("Only the mission's leader and HCSS send the report to its list.")
            )
        delivery = (
            Delivery.objects.select_related("document")
            .filter(mission=current, pk=delivery_pk)
            .first()
        )
        if delivery is None:
            raise ValidationError(_("This delivery is not one of this mission's."))
        language = address_language(delivery.email)
        if delivery.document.language != language:
            # The recipient chose another language since: the link serves the PDF in it.
            delivery.document = document_in_language(delivery.document, language, user=user)
            Delivery.objects.filter(pk=delivery.pk).update(document=delivery.document)
        created = notify_built(
            None,
            f"delivery:{delivery.pk}:again:{timezone.now().timestamp()}",
            BUILDER,
            _subject(current, delivery.version, language),
            email=delivery.email,
            mission=current,
        )
        Delivery.objects.filter(pk=delivery.pk).update(notification_id=created[0])
        delivery.notification_id = created[0]
    return delivery


def delivery_prepare(delivery: Delivery) -> Document:
    """The delivery's PDF, asked for again if its rendering failed or was lost, so that a
    recipient told "try again in a minute" finds it then."""
    document = delivery.document
    if document.status == Document.Status.FAILED or document.stalled:
        document = document_in_language(document, document.language)
    return document


def delivery_downloaded(delivery: Delivery) -> None:
    """Count one download of the delivery's PDF; the first one's time is kept. One UPDATE:
    two downloads at the same moment count two and keep the earlier time."""
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        downloads=F("downloads") + 1,
        first_downloaded_at=Coalesce(
            F("first_downloaded_at"), Value(now, output_field=DateTimeField())
        ),
    )


@email_builder(BUILDER)
def delivery_email(notification: Notification) -> EmailMultiAlternatives | None:
    """The e-mail of one delivery, with its personal link (made now: it expires
    ICSM_REPORT_LINK_DAYS from when it is sent), in the language of the PDF behind the link
    (the recipient's, chosen when it was sent). None if the delivery is gone."""
    delivery = (
        Delivery.objects.select_related("mission__country", "document")
        .filter(notification=notification)
        .first()
    )
    if delivery is None:
        return None
    language = delivery.document.language
    context = {
        "delivery": delivery,
        "mission": delivery.mission,
        "link": delivery_url(delivery),
        "valid_days": settings.ICSM_REPORT_LINK_DAYS,
        "contacts": report_contacts(delivery.mission),
    }
    with translation.override(language):
        subject = " ".join(render_to_string("reports/email/delivery_subject.txt", context).split())
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("reports/email/delivery.txt", context).strip(),
            to=[delivery.email],
            headers={"Content-Language": language},
        )
        message.attach_alternative(
            render_to_string("reports/email/delivery.html", context), "text/html"
        )
    return message
