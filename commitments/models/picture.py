"""The cluster's picture: how a score becomes a status band, and the actions a coordinator
records for the cluster from a weak commitment."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from commitments.models.assessment import MAX_POINTS
from commitments.models.framework import FrameworkItem
from commitments.models.rounds import Round

# Aggregates are shown only when at least this many organisations answered, so that no
# partner's answers can be read off them.
MIN_RESPONSES = 3


class Band(models.TextChoices):
    """The IASC cluster performance monitoring's bands, of the possible score."""

    GOOD = "good", _("Good")
    SATISFACTORY = "satisfactory", _("Satisfactory")
    UNSATISFACTORY = "unsatisfactory", _("Unsatisfactory")
    WEAK = "weak", _("Weak")


def score_percent(met: int, partly: int, not_met: int) -> int | None:
    """The share of the possible score, as a whole per cent rounded half up (None when
    nobody rated it): met counts fully, partly met half, not met nothing."""
    rated = met + partly + not_met
    if not rated:
        return None
    points, possible = MAX_POINTS * met + partly, MAX_POINTS * rated
    # Integer arithmetic: 100 * points / possible, rounded half up, with no float edge.
    return (200 * points + possible) // (2 * possible)


def band_for(percent: int) -> Band:
    """Good above 75 %, satisfactory 51–75, unsatisfactory 26–50, weak 25 or below."""
    if percent > 75:
        return Band.GOOD
    if percent > 50:
        return Band.SATISFACTORY
    if percent > 25:
        return Band.UNSATISFACTORY
    return Band.WEAK


WEAK_BANDS = (Band.WEAK, Band.UNSATISFACTORY)


class ClusterAction(models.Model):
    """What the cluster will do about a commitment, recorded with the round and shown on the
    next one."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="actions")
    item = models.ForeignKey(
        FrameworkItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("commitment")
    )
    text = models.TextField(_("action"))
    owner = models.CharField(_("owner"), max_length=200)
    due_on = models.DateField(_("due date"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("cluster action")

    def __str__(self) -> str:
        return self.text[:60]
