"""What comes with a request: attachments (HCT minutes, concept notes) and comments."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clusters.models import ChoiceLabels


def attachment_path(attachment: "Attachment", filename: str) -> str:
    # Never the user's file name on disk: it is kept in `original_name` for display only.
    return f"missions/{attachment.mission_id}/{uuid.uuid4().hex}"


class Attachment(ChoiceLabels, models.Model):
    class Kind(models.TextChoices):
        HCT_MINUTES = "hct_minutes", _("Minutes of the HCT meeting")
        CONCEPT_NOTE = "concept_note", _("Concept note")
        OTHER = "other", _("Other supporting document")

    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Comment(models.Model):
    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return gettext("%(author)s on %(mission)s") % {
            "author": self.author,
            "mission": self.mission,
        }
