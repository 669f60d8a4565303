"""Reads of the report's distribution: who has had which version, how each e-mail fared, and
the personal download links.

A link carries the delivery's pk signed with a timestamp (its own salt, so no other signed
value of the site opens it): a tampered or foreign link is not found; a genuine one expires
ICSM_REPORT_LINK_DAYS after it was sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from clusters.language import language_of
from missions.models import Mission, Notification, ReportRecipient
from missions.selectors.report import recipients_of
from missions.services.permissions import mission_leader_ids
from reports.models import Delivery

LINK_SALT = "reports.delivery.link"

State = Notification.EmailState


def link_signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=LINK_SALT)


def link_max_age() -> int:
    """How long a download link works, in seconds."""
    return settings.ICSM_REPORT_LINK_DAYS * 86400


class LinkExpired(Exception):
    """A genuine link, too old: the page says whom to ask (the delivery is known)."""

    def __init__(self, delivery: Delivery):
        super().__init__("The link has expired.")
        self.delivery = delivery


def delivery_for_token(token: str) -> Delivery:
    """The delivery a download link names. Raises Delivery.DoesNotExist for a link that is
    not one of ours (tampered, another salt, another delivery's signature), LinkExpired for
    one of ours that is too old."""
    signer = link_signer()
    try:
        value = signer.unsign(token, max_age=link_max_age())
        expired = False
    except signing.SignatureExpired:
        # The signature is good (it is checked before the age): the pk can be trusted.
        value = signer.unsign(token)
        expired = True
    except signing.BadSignature:
        raise Delivery.DoesNotExist("No such link.") from None
    try:
        pk = int(value)
    except ValueError:
        raise Delivery.DoesNotExist("No such link.") from None
    delivery = Delivery.objects.select_related("mission", "document").get(pk=pk)
    if expired:
        raise LinkExpired(delivery)
    return delivery


def address_language(email: str) -> str:
    """The language to write to `email` in (its e-mail and its PDF): the choice of the user
    whose account has this address (clusters.language), else the site's."""
    user = (
        get_user_model()
        .objects.filter(email__iexact=email)
        .select_related("language_preference")
        .order_by("-is_active", "pk")
        .first()
    )
    return language_of(user)


def deliveries_of(mission: Mission) -> QuerySet[Delivery]:
    """Every delivery of the mission, newest version first, with its e-mail's state."""
    return (
        Delivery.objects.filter(mission=mission)
        .select_related("notification", "recipient", "document")
        .order_by("-version", "name", "pk")
    )


def recipients_without(mission: Mission, version: int) -> QuerySet[ReportRecipient]:
    """The addresses on the list not yet sent `version` of the report."""
    sent = Delivery.objects.filter(mission=mission, version=version).values("email")
    return recipients_of(mission).exclude(email__in=sent).order_by("pk")


@dataclass(frozen=True)
class DeliveryState:
    """How one delivery's e-mail fared, as the distribution page says it."""

    key: str  # pending, sent, failed, retrying, skipped
    label: str
    attempts: int
    error: str
    at: object = None  # when it was sent

    @property
    def retried(self) -> bool:
        return self.attempts > 1


def delivery_state(delivery: Delivery) -> DeliveryState:
    notification = delivery.notification
    if notification is None:
        return DeliveryState("skipped", _("Not sent"), 0, "")
    attempts, error = notification.email_attempts, notification.email_error
    if notification.email_state == State.SENT:
        return DeliveryState("sent", _("Sent"), attempts, "", notification.emailed_at)
    if notification.email_state == State.FAILED:
        return DeliveryState("failed", _("Failed: given up"), attempts, error)
    if notification.email_state == State.SKIPPED:
        return DeliveryState("skipped", _("Not sent"), attempts, error)
    if error:
        # Failed at least once; the retry (or the outbox's sweep) sends it.
        return DeliveryState("retrying", _("Failed, to be retried"), attempts, error)
    return DeliveryState("pending", _("Waiting to be sent"), attempts, "")


def distribution_rows(mission: Mission) -> list[dict]:
    """The distribution page's table: each delivery with its e-mail's state."""
    return [
        {"delivery": delivery, "state": delivery_state(delivery)}
        for delivery in deliveries_of(mission)
    ]


def report_contacts(mission: Mission) -> list:
    """Whom a recipient asks for a new link or a lost copy: the mission's leader(s)."""
    return list(
        get_user_model()
        .objects.filter(pk__in=mission_leader_ids(mission), is_active=True)
        .order_by("last_name", "first_name", "pk")
    )
