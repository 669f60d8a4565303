"""Invitations, nominations and the team."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from clusters.models import ChoiceLabels

# The mission permissions of its team: the leader's and each member's (guardian's rows on the
# mission, granted by missions.services.permissions). Who holds either is on the team.
TEAM_CODENAMES = ("serve_on_mission", "lead_mission")


class Invitation(models.Model):
    """The GCC invites one global cluster or one cross-cutting issue to a mission.

    Its focal points then see the mission, its ToR, and may nominate participants.
    """

    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="invitations"
    )
    global_cluster = models.ForeignKey(
        "clusters.GlobalCluster", on_delete=models.PROTECT, null=True, blank=True
    )
    cross_cutting_issue = models.ForeignKey(
        "clusters.CrossCuttingIssue", on_delete=models.PROTECT, null=True, blank=True
    )
    message = models.TextField(blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    invited_at = models.DateTimeField(auto_now_add=True)
    # The focal point passed the invitation and ToR on to the cluster's partners.
    shared_at = models.DateTimeField(null=True, blank=True)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shared_with = models.TextField(_("shared with"), blank=True)

    class Meta:
        ordering = ["invited_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(global_cluster__isnull=False, cross_cutting_issue__isnull=True)
                | Q(global_cluster__isnull=True, cross_cutting_issue__isnull=False),
                name="invitation_to_one_cluster_or_issue",
            ),
            models.UniqueConstraint(
                fields=["mission", "global_cluster"], name="one_invitation_per_cluster"
            ),
            models.UniqueConstraint(
                fields=["mission", "cross_cutting_issue"], name="one_invitation_per_issue"
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(invitee)s to %(mission)s") % {
            "invitee": self.invitee,
            "mission": self.mission,
        }

    @property
    def invitee(self):
        return self.global_cluster or self.cross_cutting_issue


class Grade(models.IntegerChoices):
    """Seniority as the UN common system grades it; higher is more senior."""

    NATIONAL = 1, _("National officer (NO-A to NO-D)")
    P2 = 2, _("P-2 or equivalent")
    P3 = 3, _("P-3 or equivalent")
    P4 = 4, _("P-4 or equivalent")
    P5 = 5, _("P-5 or equivalent")
    D1 = 6, _("D-1 or equivalent")
    D2 = 7, _("D-2 or above")


class Nomination(ChoiceLabels, models.Model):
    """A focal point proposes a participant; the GCC accepts (they join the team) or declines.

    A participant represents one or more clusters or cross-cutting issues, not their agency:
    both are recorded.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", pgettext_lazy("nomination state", "Proposed")
        ACCEPTED = "accepted", pgettext_lazy("nomination state", "Accepted")
        DECLINED = "declined", pgettext_lazy("nomination state", "Declined")
        WITHDRAWN = "withdrawn", pgettext_lazy("nomination state", "Withdrawn")

    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="nominations"
    )
    invitation = models.ForeignKey(Invitation, on_delete=models.PROTECT, related_name="nominations")
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="nominations"
    )
    agency = models.ForeignKey("clusters.Organisation", on_delete=models.PROTECT, related_name="+")
    clusters = models.ManyToManyField(
        "clusters.GlobalCluster",
        blank=True,
        related_name="+",
        verbose_name=_("clusters represented"),
    )
    cross_cutting_issues = models.ManyToManyField(
        "clusters.CrossCuttingIssue",
        blank=True,
        related_name="+",
        verbose_name=_("cross-cutting issues represented"),
    )
    years_in_field = models.PositiveSmallIntegerField(_("years of humanitarian field experience"))
    previous_missions = models.PositiveSmallIntegerField(_("previous support missions"), default=0)
    languages = models.CharField(max_length=200)
    grade = models.PositiveSmallIntegerField(choices=Grade.choices)
    available_from = models.DateField()
    available_to = models.DateField()
    experience = models.TextField(_("relevant experience"), blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    nominated_at = models.DateTimeField(auto_now_add=True)
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Who took the nomination back, when and why (what the participant and the team read).
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for the withdrawal"), blank=True)

    # Logistics of an accepted participant.
    arrival_on = models.DateField(null=True, blank=True)
    departure_on = models.DateField(null=True, blank=True)
    counterpart = models.CharField(_("country counterpart"), max_length=200, blank=True)

    class Meta:
        ordering = ["nominated_at", "pk"]
        constraints = [
            # One live nomination per person and mission: a person is on a team once.
            models.UniqueConstraint(
                fields=["mission", "participant"],
                condition=Q(status__in=["proposed", "accepted"]),
                name="one_live_nomination_per_participant",
            ),
            models.CheckConstraint(
                condition=Q(available_to__gte=models.F("available_from")),
                name="nomination_availability_in_order",
            ),
        ]
        indexes = [models.Index(fields=["mission", "status"])]

    def __str__(self) -> str:
        return gettext("%(participant)s for %(mission)s") % {
            "participant": self.participant,
            "mission": self.mission,
        }

    @property
    def seniority(self) -> tuple[int, int, int]:
        """What decides a tie in the leader's election: grade, then years, then missions."""
        return (self.grade, self.years_in_field, self.previous_missions)
