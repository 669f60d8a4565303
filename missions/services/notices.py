"""Who is told what, and the outbox that carries it by e-mail.

A notice is a `Notification` row, written in the same transaction as what it tells of (a
transition, a nomination, a reminder's claim): when that commits, the notice exists; when it
rolls back, nobody is told. The e-mail goes later, from a worker: `notification_send` claims
the row with a conditional update, sends, and marks it sent. A periodic sweep
(`outbox_due`) re-queues what nobody claimed in time and what a dead worker had claimed, so a
broker that is down, a worker killed mid-task or an SMTP server that fails loses nothing,
and the claim makes sure nothing goes twice.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from clusters.language import language_for, languages_of
from clusters.models import Role
from formats.text import fit
from missions.models import Mission, Notification, TransitionLog
from missions.selectors.missions import COUNTRY_ROLES
from missions.workflow import DECISION_TRANSITIONS, Hook, on_transition

logger = logging.getLogger(__name__)

State = Notification.EmailState

# A worker's claim older than this is a dead worker's (the send task's time limit is far
# below it); a notice nobody claimed for this long missed its queueing.
CLAIM_TIMEOUT = datetime.timedelta(minutes=5)
SWEEP_AFTER = datetime.timedelta(minutes=2)
# After this many failed attempts the notice is given up (`failed`), visible in the admin.
MAX_ATTEMPTS = 8

SUBJECT_MAX_LENGTH = Notification._meta.get_field("subject").max_length

# Fired after commit with the pks of notifications to e-mail; missions.tasks queues them.
OUTBOX = Hook("outbox")

# transition: the roles told (country roles are the mission's country's).
NOTICE_RECIPIENTS: dict[str, tuple[str, ...]] = {
    "submit": (Role.HCSS,),
    "return_for_revision": (Role.RC_HC,),
    "forward": (Role.TASK_TEAM,),
    "approve": (Role.RC_HC, Role.HCT_MEMBER),
    "decline": (Role.RC_HC, Role.HCT_MEMBER),
    "defer": (Role.RC_HC, Role.HCT_MEMBER),
}


def recipients(mission: Mission, roles: tuple[str, ...]):
    """Active users holding one of `roles` for this mission (country roles: its country)."""
    scope = Q()
    for role in roles:
        if role in COUNTRY_ROLES:
            scope |= Q(role_assignments__role=role, role_assignments__country=mission.country_id)
        else:
            scope |= Q(role_assignments__role=role)
    return get_user_model().objects.filter(scope, is_active=True).distinct().order_by("pk")


def site_url(path: str) -> str:
    """The address of a page of the site, for links in e-mails (ICSM_SITE_URL)."""
    return settings.ICSM_SITE_URL.rstrip("/") + path


# Writing notices ------------------------------------------------------------------------------


def _render(template: str, context: dict) -> tuple[str, str]:
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}.txt", context).strip()
    return fit(subject, SUBJECT_MAX_LENGTH), body


def _create(rows: Iterable[dict], email: bool = True) -> list[int]:
    """Create each notification once (a second run of the same work creates nothing more),
    and have the new ones e-mailed after commit. Returns the pks created now."""
    created = []
    state = State.PENDING if email else State.SKIPPED
    for row in rows:
        try:
            with transaction.atomic():
                created.append(Notification.objects.create(**row, email_state=state).pk)
        except IntegrityError:
            continue  # told already
    if created and email:
        OUTBOX.fire_on_commit(created)
    return created


def notify(
    users,
    mission: Mission | None,
    event: str,
    template: str,
    context: dict,
    *,
    email: bool = True,
) -> list[int]:
    """Tell each of `users` of `event` (once per user and event), in the app and, unless
    `email` is False, by e-mail.

    Call it inside the transaction of what it tells of. Returns the pks created now.
    """
    context = {**context, "mission": mission}
    if mission is not None:
        context["mission_url"] = site_url(reverse("missions:detail", args=[mission.pk]))
    users = list(users)
    languages = languages_of(users)
    # Written once per language, each in the recipient's own.
    texts = {}
    for language in set(languages.values()):
        with translation.override(language):
            texts[language] = _render(template, context)
    return _create(
        (
            {
                "user": user,
                "mission": mission,
                "event": event,
                "subject": texts[languages[user.pk]][0],
                "body": texts[languages[user.pk]][1],
            }
            for user in users
        ),
        email=email,
    )


def notify_written(users, event: str, subject: str, body: str, *, mission=None) -> list[int]:
    """Like `notify`, for a subject and body already written (another app renders its own
    text): once per user and event, e-mailed after commit."""
    subject = fit(" ".join(subject.split()), SUBJECT_MAX_LENGTH)
    return _create(
        {"user": user, "mission": mission, "event": event, "subject": subject, "body": body}
        for user in users
    )


def notify_many(items: list[tuple], languages: dict[int, str] | None = None) -> list[int]:
    """Many notices at once, each (user, mission, event, template, context): one insert for
    all (a sweep of reminders writes thousands). The events must be new: callers claim them
    first. `languages`: each recipient's, by pk, when the caller has read them already.
    Returns the pks, e-mailed after commit."""
    rows = []
    if languages is None:
        languages = languages_of([user for user, *_rest in items])
    for user, mission, event, template, context in items:
        context = {**context, "mission": mission}
        if mission is not None:
            context["mission_url"] = site_url(reverse("missions:detail", args=[mission.pk]))
        with translation.override(languages[user.pk]):
            subject, body = _render(template, context)
        rows.append(
            Notification(user=user, mission=mission, event=event, subject=subject, body=body)
        )
    created = [n.pk for n in Notification.objects.bulk_create(rows, batch_size=1000)]
    if created:
        OUTBOX.fire_on_commit(created)
    return created


def notify_addresses(
    addresses: Iterable[str],
    mission: Mission | None,
    event: str,
    template: str,
    context: dict,
    *,
    reply_to: str = "",
) -> list[int]:
    """E-mail people who may have no account (a cluster's partners), once per address."""
    subject, body = _render(template, {**context, "mission": mission})
    return _create(
        {
            "email": address,
            "reply_to": reply_to,
            "mission": mission,
            "event": event,
            "subject": subject,
            "body": body,
        }
        for address in addresses
    )


def notify_built(
    user,
    event: str,
    builder: str,
    subject: str,
    *,
    email: str = "",
    mission: Mission | None = None,
) -> list[int]:
    """An e-mail whose message is built only when it is sent, by a registered builder (a link
    with a fresh token must not wait in a queue); `subject` is what the app shows of it.

    To someone without an account, pass `user=None` and their `email` (once per address and
    event)."""
    if user is None and not email:
        raise ValueError("A built notice needs a user or an address.")
    row = {"event": event, "builder": builder, "subject": fit(subject, SUBJECT_MAX_LENGTH)}
    row.update({"user": user} if user is not None else {"email": email})
    return _create([{**row, "mission": mission}])


@on_transition("*")
def notify_transition(log: TransitionLog) -> list[int]:
    """The notices of one transition, written with it (`NOTICE_RECIPIENTS`)."""
    roles = NOTICE_RECIPIENTS.get(log.transition)
    if not roles:
        return []
    created = notify(
        recipients(log.mission, roles),
        log.mission,
        f"log:{log.pk}",
        f"missions/email/{log.transition}",
        {"log": log},
    )
    if log.transition in DECISION_TRANSITIONS and not created:
        # Nobody to tell in the country: nothing to wait for.
        Mission.objects.filter(pk=log.mission_id).update(decision_communicated_at=timezone.now())
    return created


# Sending --------------------------------------------------------------------------------------

_builders: dict[str, Callable[[Notification], EmailMessage | None]] = {}


def email_builder(name: str):
    """Register the function that builds the message of notifications with `builder=name`.
    It returns None when the message is no longer wanted (nothing is sent)."""

    def register(build):
        _builders[name] = build
        return build

    return register


def _message(notification: Notification, address: str) -> EmailMessage | None:
    # Built in the recipient's language (the site's for an address without an account).
    with language_for(notification.user):
        return _build_message(notification, address)


def _build_message(notification: Notification, address: str) -> EmailMessage | None:
    if notification.builder:
        return _builders[notification.builder](notification)
    context = {"notification": notification, "user": notification.user}
    if notification.mission_id:
        context["mission_url"] = site_url(
            reverse("missions:detail", args=[notification.mission_id])
        )
    if notification.user_id is None:
        # To someone without an account: the text as written, replies to its sender.
        return EmailMessage(
            subject=notification.subject,
            body=notification.body,
            to=[address],
            reply_to=[notification.reply_to] if notification.reply_to else None,
        )
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=render_to_string("missions/email/notice_body.txt", context),
        to=[address],
    )
    message.attach_alternative(
        render_to_string("missions/email/notice_body.html", context), "text/html"
    )
    return message


def _claim(pk: int, now: datetime.datetime) -> bool:
    """Take the notice for this worker: only if unsent and nobody holds a live claim."""
    return bool(
        Notification.objects.filter(pk=pk, email_state=State.PENDING)
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(email_claimed_at=now, email_attempts=F("email_attempts") + 1)
    )


def notification_send(pk: int) -> bool:
    """E-mail one notice, once. Returns True when this call sent it.

    Raises what the mail server raised (the caller retries); the claim is released first,
    so the retry, or the sweep, takes it again.
    """
    now = timezone.now()
    if not _claim(pk, now):
        return False
    notification = Notification.objects.select_related("user").get(pk=pk)
    address = notification.user.email if notification.user_id else notification.email
    message = _message(notification, address) if address else None
    if message is None:
        Notification.objects.filter(pk=pk).update(email_state=State.SKIPPED)
        _delivered(notification)
        return False
    try:
        message.send()
    except Exception as error:
        gave_up = notification.email_attempts >= MAX_ATTEMPTS
        Notification.objects.filter(pk=pk, email_claimed_at=now).update(
            email_claimed_at=None,
            email_error=fit(f"{type(error).__name__}: {error}", 500),
            email_state=State.FAILED if gave_up else State.PENDING,
        )
        raise
    Notification.objects.filter(pk=pk).update(
        email_state=State.SENT, emailed_at=timezone.now(), email_error=""
    )
    _delivered(notification)
    return True


def _delivered(notification: Notification) -> None:
    if notification.event.startswith("log:"):
        decision_communicate(int(notification.event.removeprefix("log:")))


def decision_communicate(log_pk: int) -> bool:
    """Record that the Task Team's decision (log row `log_pk`) is communicated, once every
    notice of it has gone out (sent, or nobody's address to send to). True when recorded."""
    log = TransitionLog.objects.filter(pk=log_pk, transition__in=DECISION_TRANSITIONS).first()
    if log is None:
        return False
    with transaction.atomic():
        # Locked: the last two notices delivered at once must not each see the other pending.
        mission = Mission.objects.select_for_update().filter(pk=log.mission_id).first()
        if mission is None or (mission.decided_at and log.at < mission.decided_at):
            return False  # a later decision replaced this one
        if Notification.objects.filter(event=f"log:{log_pk}", email_state=State.PENDING).exists():
            return False
        if mission.decision_communicated_at and mission.decision_communicated_at >= log.at:
            return False
        Mission.objects.filter(pk=mission.pk).update(decision_communicated_at=timezone.now())
    return True


def outbox_due(now: datetime.datetime | None = None) -> list[int]:
    """The notices to (re-)queue now: unsent, and unclaimed for longer than a queueing takes,
    or claimed by a worker that has not finished in CLAIM_TIMEOUT (it died)."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(email_state=State.PENDING)
        .filter(
            Q(email_claimed_at__isnull=True, created_at__lte=now - SWEEP_AFTER)
            | Q(email_claimed_at__lt=now - CLAIM_TIMEOUT)
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )


def decisions_due() -> list[int]:
    """Decisions whose notices have all gone out but that are not yet recorded as
    communicated (the last delivery's check failed): the log pks, for the sweep."""
    pending = Notification.objects.filter(email_state=State.PENDING).values("event")
    logs = (
        TransitionLog.objects.filter(
            transition__in=DECISION_TRANSITIONS,
            mission__decided_at__isnull=False,
            at__gte=F("mission__decided_at"),
        )
        .filter(
            Q(mission__decision_communicated_at__isnull=True)
            | Q(mission__decision_communicated_at__lt=F("at"))
        )
        .values_list("pk", flat=True)
    )
    return [pk for pk in logs if not pending.filter(event=f"log:{pk}").exists()]
