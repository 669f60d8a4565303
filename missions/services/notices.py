"""Who is told what when a mission moves, and the e-mails that carry it.

A transition's log row is the event. After commit, `notify_transition_task` turns it into one
in-app notification per recipient (unique per user and event, so a task run twice creates
nothing more) and queues one e-mail per new notification.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clusters.models import Role
from missions.models import Mission, Notification, TransitionLog
from missions.workflow import DECISION_TRANSITIONS

logger = logging.getLogger(__name__)

# transition: the roles told (country roles are the mission's country's).
NOTICE_RECIPIENTS: dict[str, tuple[str, ...]] = {
    "submit": (Role.HCSS,),
    "return_for_revision": (Role.RC_HC,),
    "forward": (Role.TASK_TEAM,),
    "approve": (Role.RC_HC, Role.HCT_MEMBER),
    "decline": (Role.RC_HC, Role.HCT_MEMBER),
    "defer": (Role.RC_HC, Role.HCT_MEMBER),
}
COUNTRY_ROLES = (Role.RC_HC, Role.HCT_MEMBER)


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


def notify(users, mission: Mission | None, event: str, template: str, context: dict) -> list[int]:
    """Create one notification per user for `event` (once), rendered from `template`.

    Returns the ids of the notifications created now (not those that existed already).
    """
    context = {**context, "mission": mission}
    if mission is not None:
        context["mission_url"] = site_url(reverse("missions:detail", args=[mission.pk]))
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}.txt", context).strip()
    created = []
    for user in users:
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    user=user, mission=mission, event=event, subject=subject, body=body
                )
        except IntegrityError:
            continue  # told already: a second run of the same task
        created.append(notification.pk)
    return created


def notify_transition(log_pk: int) -> list[int]:
    log = TransitionLog.objects.select_related("mission__country", "user").get(pk=log_pk)
    roles = NOTICE_RECIPIENTS.get(log.transition)
    if not roles:
        return []
    users = recipients(log.mission, roles)
    created = notify(
        users, log.mission, f"log:{log.pk}", f"missions/email/{log.transition}", {"log": log}
    )
    if log.transition in DECISION_TRANSITIONS:
        # The decision is communicated once its notices exist (the e-mails follow, retried):
        # the GCC may then start planning.
        Mission.objects.filter(pk=log.mission_id).update(decision_communicated_at=timezone.now())
    return created


def send_notification_email(notification: Notification) -> None:
    context = {"notification": notification, "user": notification.user}
    if notification.mission_id:
        context["mission_url"] = site_url(
            reverse("missions:detail", args=[notification.mission_id])
        )
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=render_to_string("missions/email/notice_body.txt", context),
        to=[notification.user.email],
    )
    message.attach_alternative(
        render_to_string("missions/email/notice_body.html", context), "text/html"
    )
    message.send()
