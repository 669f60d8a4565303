"""The Task Team's scoring: named, weighted criteria; one score per member per criterion."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class ScoringCriterion(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    weight = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    scale_max = models.PositiveSmallIntegerField(
        _("top of the scale"),
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_("Members score from 0 to this number; higher means a stronger case."),
    )
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = _("scoring criteria")

    def __str__(self) -> str:
        return self.name


class Score(models.Model):
    """One member's score of one request on one criterion; revised in place until decided."""

    mission = models.ForeignKey("missions.Mission", on_delete=models.CASCADE, related_name="scores")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(ScoringCriterion, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "member", "criterion"], name="one_score_per_member_criterion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.criterion}: {self.value}"


class RankAdjustment(models.Model):
    """A manual move on the board. The latest row for a mission is the one in force."""

    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="rank_adjustments"
    )
    places = models.SmallIntegerField(help_text=_("Positive moves the request up the board."))
    reason = models.TextField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.mission}: {self.places:+d}"
