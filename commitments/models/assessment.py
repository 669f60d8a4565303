"""A partner organisation's self-assessment in a round: per commitment and per principle a
rating with evidence, the obstacles it faces and what would help.

One per organisation per round (a unique constraint). A draft is saved as often as the
partner likes; submitting makes it final. Both, and every change of the answers, go through
commitments.services.assessment, which refuses them once the round has closed.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clusters.models import ChoiceLabels, Organisation
from commitments.models.framework import FrameworkItem
from commitments.models.rounds import Round


class Rating(models.TextChoices):
    MET = "met", _("Met")
    PARTLY = "partly", _("Partly met")
    NOT_MET = "not_met", _("Not met")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


# Points towards the possible score: not applicable counts neither way.
POINTS = {Rating.MET: 2, Rating.PARTLY: 1, Rating.NOT_MET: 0}
MAX_POINTS = 2


class Obstacle(models.TextChoices):
    """What keeps an organisation from meeting the commitments (the seed's list)."""

    CAPACITY = "capacity", _("Capacity")
    TECHNICAL_DIFFERENCES = "technical", _("Technical differences")
    NATIONAL_AUTHORITIES = "authorities", _("Working with national authorities")
    LEADERSHIP = "leadership", _("Leadership commitment")
    TIME_RESOURCES = "time_resources", _("Time and resources")
    ACCESS_LOCATION = "access_location", _("Access: location")
    ACCESS_LANGUAGE = "access_language", _("Access: language")
    OTHER = "other", _("Other")


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class SelfAssessment(ChoiceLabels, models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="assessments")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="commitment_assessments"
    )
    # Written only by commitments.services.assessment.
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.DRAFT,
    )
    obstacles_comment = models.TextField(_("about the obstacles"), blank=True)
    what_would_help = models.TextField(_("what would help"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(_("last saved"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["round", "organisation__name"]
        verbose_name = _("self-assessment")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "organisation"], name="one_assessment_per_organisation_and_round"
            ),
            models.CheckConstraint(
                condition=Q(status=AssessmentStatus.DRAFT, submitted_at__isnull=True)
                | Q(status=AssessmentStatus.SUBMITTED, submitted_at__isnull=False),
                name="assessment_submitted_at_matches_status",
            ),
        ]
        indexes = [models.Index(fields=["round", "status"], name="assessment_round_status")]

    def __str__(self) -> str:
        return gettext("%(organisation)s in %(round)s") % {
            "organisation": self.organisation,
            "round": self.round,
        }

    @property
    def is_submitted(self) -> bool:
        return self.status == AssessmentStatus.SUBMITTED


def answer_file_path(answer: "Answer", filename: str) -> str:
    # A random name: the user's file name is kept in `file_name` and never used on disk.
    return f"commitments/{answer.assessment.round_id}/{uuid.uuid4().hex}"


class Answer(ChoiceLabels, models.Model):
    """The rating of one item, with its evidence (for a principle: an example)."""

    assessment = models.ForeignKey(SelfAssessment, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(FrameworkItem, on_delete=models.PROTECT, related_name="answers")
    # Blank while a draft has not rated the item yet.
    rating = models.CharField(_("rating"), max_length=20, choices=Rating.choices, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    file = models.FileField(upload_to=answer_file_path, max_length=200, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_type = models.CharField(max_length=100, blank=True)
    file_size = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["assessment", "item__kind", "item__number"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "item"], name="one_answer_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.get_rating_display() or '—'}"


class ObstacleFaced(ChoiceLabels, models.Model):
    assessment = models.ForeignKey(
        SelfAssessment, on_delete=models.CASCADE, related_name="obstacles"
    )
    obstacle = models.CharField(max_length=20, choices=Obstacle.choices)

    class Meta:
        ordering = ["assessment", "obstacle"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "obstacle"], name="obstacle_once"),
        ]

    def __str__(self) -> str:
        return self.get_obstacle_display()
