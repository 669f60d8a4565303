"""Assessment rounds: a cluster coordinator asks the cluster's partners to assess themselves
for a period, against one framework version, by a closing date."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clusters.models import ChoiceLabels, CountryCluster
from commitments.models.framework import FrameworkVersion


class RoundStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Round(ChoiceLabels, models.Model):
    """One round of self-assessment in a country cluster.

    Open until the coordinator closes it or its closing date passes (the daily tick then
    closes it; answers are refused from the day after `closes_on` either way). The status is
    written only by commitments.services.rounds, and each change is a RoundEvent.
    """

    country_cluster = models.ForeignKey(
        CountryCluster, on_delete=models.PROTECT, related_name="commitment_rounds"
    )
    framework = models.ForeignKey(FrameworkVersion, on_delete=models.PROTECT, related_name="rounds")
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    closes_on = models.DateField(_("answers due by"))
    status = models.CharField(
        _("status"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.OPEN
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-period_end", "-pk"]
        verbose_name = _("assessment round")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="round_period_in_order",
            ),
            models.CheckConstraint(
                condition=Q(status=RoundStatus.OPEN, closed_at__isnull=True)
                | Q(status=RoundStatus.CLOSED, closed_at__isnull=False),
                name="round_closed_at_matches_status",
            ),
            # Partners answer one round of a cluster at a time.
            models.UniqueConstraint(
                fields=["country_cluster"],
                condition=Q(status=RoundStatus.OPEN),
                name="one_open_round_per_cluster",
            ),
        ]
        indexes = [models.Index(fields=["status", "closes_on"], name="round_status_closes")]

    def __str__(self) -> str:
        return f"{self.country_cluster}: {self.period_label}"

    @property
    def period_label(self) -> str:
        """ "Jan 2026 – Jun 2026", or "Jun 2026" for a period within one month."""
        start, end = date_format(self.period_start, "M Y"), date_format(self.period_end, "M Y")
        return end if start == end else f"{start} – {end}"

    def accepts_answers(self, today: datetime.date | None = None) -> bool:
        """Open, and its closing date not past: the one rule of "locked when it closes"."""
        today = today or timezone.localdate()
        return self.status == RoundStatus.OPEN and today <= self.closes_on


class RoundEvent(ChoiceLabels, models.Model):
    """The round's log: opened and closed, by whom (nobody: the closing date passed)."""

    class Action(models.TextChoices):
        OPENED = "opened", _("Opened")
        CLOSED = "closed", _("Closed")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=10, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.round}"


class RoundReminder(ChoiceLabels, models.Model):
    """Claims one reminder (round, window, closing date, recipient) before its notice is
    written: a second tick, a retried task or a killed worker finds it claimed."""

    class Kind(models.TextChoices):
        SOON = "soon", _("Closes within a week")
        LAST_DAYS = "last_days", _("Closes within two days")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    closes_on = models.DateField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    claimed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claimed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "kind", "closes_on", "recipient"], name="one_round_reminder"
            )
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s: %(round)s to %(recipient)s") % {
            "kind": self.get_kind_display(),
            "round": self.round,
            "recipient": self.recipient,
        }
