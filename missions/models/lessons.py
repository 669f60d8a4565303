"""Lessons and good practice recorded on missions."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clusters.models import ChoiceLabels


class Lesson(ChoiceLabels, models.Model):
    class Kind(models.TextChoices):
        LESSON = "lesson", _("Lesson learnt")
        GOOD_PRACTICE = "good_practice", _("Good practice")

    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="lessons"
    )
    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.LESSON)
    title = models.CharField(max_length=200)
    text = models.TextField()
    tags = models.CharField(max_length=200, blank=True, help_text=_("Comma-separated."))
    clusters = models.ManyToManyField("clusters.GlobalCluster", blank=True, related_name="+")
    country = models.ForeignKey("clusters.Country", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The newest lessons, of a country or of all: lists and the planning page's.
            models.Index(fields=["country", "-created_at", "-id"], name="lesson_country_newest"),
            models.Index(fields=["-created_at", "-id"], name="lesson_newest_first"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in self.tags.split(",") if tag.strip()]
