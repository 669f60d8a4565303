"""What users are told: in-app notifications (also e-mailed) and the record of reminders."""

from django.conf import settings
from django.db import models


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, null=True, related_name="+"
    )
    # The event it is about, so that a task run twice creates it once.
    event = models.CharField(max_length=80)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="one_notification_per_event")
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

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
        return f"{self.kind} for {self.mission} on {self.due_on}"
