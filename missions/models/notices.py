"""What users are told: in-app notifications (also e-mailed) and the record of reminders."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clusters.models import ChoiceLabels


class Notification(ChoiceLabels, models.Model):
    """A notice to one person, in the app and by e-mail: the outbox.

    The row is written in the same transaction as what it tells of; the e-mail goes later,
    from a worker that claims the row first (`email_claimed_at`), so that it is sent once,
    and a sweep re-queues what was never claimed or whose claim went stale. A notice to
    someone without an account (a cluster's partner) has no user, only the `email`.
    """

    class EmailState(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not sent: no e-mail address")
        FAILED = "failed", _("Failed: gave up after retries")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    email = models.EmailField(_("address"), blank=True)
    reply_to = models.EmailField(blank=True)
    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, null=True, related_name="+"
    )
    # The event it is about, so that a task run twice creates it once.
    event = models.CharField(max_length=80)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(
        max_length=10, choices=EmailState.choices, default=EmailState.PENDING
    )
    # A message built when it is sent rather than from subject and body (e.g. a link with a
    # fresh token): the name of a builder registered with missions.services.notices.
    builder = models.CharField(max_length=40, blank=True)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.CharField(max_length=500, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="one_notification_per_event"),
            models.UniqueConstraint(
                fields=["email", "event"],
                condition=models.Q(user__isnull=True),
                name="one_notification_per_address_and_event",
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(email=""),
                name="notification_has_a_recipient",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(
                fields=["created_at"],
                condition=models.Q(email_state="pending"),
                name="outbox_pending",
            ),
            models.Index(fields=["event"], name="notification_event"),
        ]

    def __str__(self) -> str:
        return self.subject


class ReminderSent(models.Model):
    """Claims a reminder (kind, mission, date) once: a second scheduler run finds it taken."""

    kind = models.CharField(max_length=40)
    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="+")
    due_on = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "mission", "due_on"], name="one_reminder")
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s for %(mission)s on %(date)s") % {
            "kind": self.kind,
            "mission": self.mission,
            "date": self.due_on,
        }
