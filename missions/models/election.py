"""The leader's election: rounds, candidates and ballots."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clusters.models import ChoiceLabels
from missions.models.team import Nomination


class ElectionQuerySet(models.QuerySet):
    def leader_on_team(self) -> "ElectionQuerySet":
        """The rounds that give their mission its leader now: the mission's latest round,
        closed, whose winner is on the team.

        A leader whose nomination is withdrawn leaves the post vacant (the closed record never
        changes). Accepted onto the team again before a further round opened, they lead
        again, as the team elected them; once a further round has opened, that round decides.
        """
        latest = (
            Election.objects.filter(mission=models.OuterRef("mission"))
            .order_by("-round")
            .values("round")[:1]
        )
        return self.filter(
            closed_at__isnull=False, winner__isnull=False, round=models.Subquery(latest)
        ).filter(
            models.Exists(
                Nomination.objects.filter(
                    mission=models.OuterRef("mission"),
                    participant=models.OuterRef("winner"),
                    status=Nomination.Status.ACCEPTED,
                )
            )
        )


class Election(ChoiceLabels, models.Model):
    """One round of the team's vote for its leader. A run-off is a further round.

    Secrecy: a Ballot says only that a member voted; a vote adds to the count of every
    Candidate of the round in one statement (one to the chosen, nothing to the others), so
    no row, row version or transaction id links a voter to a candidate. A round is counted
    only with three ballots or more; a smaller team agrees its leader openly (`Mode.AGREED`:
    a closed record with its winner and `agreement`, and no ballots).
    """

    class TieRule(models.TextChoices):
        SENIORITY = "seniority", _("The more senior candidate")
        RUN_OFF = "run_off", _("A run-off between the tied candidates")

    class Mode(models.TextChoices):
        BALLOT = "ballot", _("Secret ballot")
        # A team too small for a secret ballot agrees its leader openly; the GCC records it.
        AGREED = "agreed", _("Agreed openly by the team")

    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="elections"
    )
    round = models.PositiveSmallIntegerField(default=1)
    tie_rule = models.CharField(max_length=10, choices=TieRule.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.BALLOT)
    # Set when the round opens: before it, the round closes only once every member voted.
    closes_at = models.DateTimeField(_("voting closes"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    winner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.TextField(blank=True)
    # An open agreement: how and when the team agreed, as the GCC records it.
    agreement = models.TextField(_("how the team agreed"), blank=True)

    objects = ElectionQuerySet.as_manager()

    class Meta:
        ordering = ["mission", "round"]
        constraints = [
            models.UniqueConstraint(fields=["mission", "round"], name="one_election_per_round"),
            # At most one round open at a time.
            models.UniqueConstraint(
                fields=["mission"],
                condition=Q(closed_at__isnull=True),
                name="one_open_election_per_mission",
            ),
        ]

    def __str__(self) -> str:
        return gettext("Leader election for %(mission)s (round %(round)s)") % {
            "mission": self.mission,
            "round": self.round,
        }

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_agreed(self) -> bool:
        return self.mode == self.Mode.AGREED


class Candidate(models.Model):
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="candidates")
    member = models.ForeignKey(Nomination, on_delete=models.PROTECT, related_name="candidacies")
    statement = models.TextField(blank=True)
    votes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["election", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["election", "member"], name="one_candidacy_per_member")
        ]

    def __str__(self) -> str:
        return str(self.member.participant)


class Ballot(models.Model):
    """A team member's right to vote in one round, created for every member when it opens.

    Casting claims it with a conditional update (cast_at still empty, the round still open):
    an outsider has no ballot, a second vote or a vote after closing claims nothing.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="ballots")
    member = models.ForeignKey(Nomination, on_delete=models.PROTECT, related_name="ballots")
    cast_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["election", "member"]
        constraints = [
            models.UniqueConstraint(fields=["election", "member"], name="one_ballot_per_member")
        ]

    def __str__(self) -> str:
        return gettext("%(member)s in %(election)s") % {
            "member": self.member.participant,
            "election": self.election,
        }
