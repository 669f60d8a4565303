"""Cross-cutting issue coverage and the logistics checklist."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from clusters.models import ChoiceLabels
from missions.models.team import Nomination


def briefing_path(coverage: "IssueCoverage", filename: str) -> str:
    return f"missions/{coverage.mission_id}/briefings/{uuid.uuid4().hex}"


class IssueCoverage(ChoiceLabels, models.Model):
    """How one relevant cross-cutting issue is covered: on the team, remotely, or by a
    briefing paper."""

    class Mode(models.TextChoices):
        REPRESENTED = "represented", _("Represented on the team")
        REMOTE = "remote", _("Supports remotely")
        BRIEFING = "briefing", _("Briefing paper")

    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="issue_coverage"
    )
    cross_cutting_issue = models.ForeignKey("clusters.CrossCuttingIssue", on_delete=models.PROTECT)
    mode = models.CharField(max_length=12, choices=Mode.choices, blank=True)
    member = models.ForeignKey(
        Nomination, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    remote_focal_point = models.CharField(max_length=200, blank=True)
    briefing = models.FileField(upload_to=briefing_path, max_length=200, blank=True)
    briefing_name = models.CharField(max_length=255, blank=True)
    briefing_content_type = models.CharField(max_length=100, blank=True)
    briefing_size = models.PositiveIntegerField(null=True, blank=True)
    briefing_uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    briefing_uploaded_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["mission", "cross_cutting_issue__name"]
        verbose_name_plural = _("issue coverage")
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "cross_cutting_issue"], name="one_coverage_per_issue"
            )
        ]

    def __str__(self) -> str:
        return gettext("%(issue)s on %(mission)s") % {
            "issue": self.cross_cutting_issue,
            "mission": self.mission,
        }


# Logistics ------------------------------------------------------------------------------------


class ChecklistItem(models.Model):
    """One thing to settle before departure (admin-editable): for the mission as a whole, or
    for each participant (travel, visa, security clearance)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    per_participant = models.BooleanField(default=True)
    # How many days before the start of the mission this must be done.
    due_days_before = models.PositiveSmallIntegerField(default=7)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class LogisticsEntry(ChoiceLabels, models.Model):
    class Status(models.TextChoices):
        TODO = "todo", pgettext_lazy("logistics item state", "To do")
        IN_PROGRESS = "in_progress", pgettext_lazy("logistics item state", "In progress")
        DONE = "done", pgettext_lazy("logistics item state", "Done")
        NOT_NEEDED = "not_needed", pgettext_lazy("logistics item state", "Not needed")

    DONE_STATES = (Status.DONE, Status.NOT_NEEDED)

    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="logistics"
    )
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="entries")
    participant = models.ForeignKey(
        Nomination, on_delete=models.CASCADE, null=True, blank=True, related_name="logistics"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.TODO)
    note = models.CharField(max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["mission", "item__order", "participant"]
        verbose_name_plural = _("logistics entries")
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "item", "participant"],
                condition=Q(participant__isnull=False),
                name="one_logistics_entry_per_item_and_participant",
            ),
            models.UniqueConstraint(
                fields=["mission", "item"],
                condition=Q(participant__isnull=True),
                name="one_logistics_entry_per_mission_item",
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(item)s for %(whom)s") % {
            "item": self.item,
            "whom": self.participant or self.mission,
        }
