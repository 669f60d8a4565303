"""Planning, between `approved` and `ready`: the Terms of Reference, invitations and
nominations (the team), the leader's election, cross-cutting issues, logistics and lessons."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

# Terms of Reference ---------------------------------------------------------------------------


class TermsOfReference(models.Model):
    """A mission's ToR. Its text lives in versions; the newest version is the current one."""

    mission = models.OneToOneField("missions.Mission", on_delete=models.CASCADE, related_name="tor")
    # Set when the GCC or the leader marks the current version final; any new version clears it.
    final_version = models.ForeignKey(
        "missions.ToRVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    finalised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Terms of Reference"
        verbose_name_plural = "Terms of Reference"

    def __str__(self) -> str:
        return f"ToR of {self.mission}"


class ToRVersion(models.Model):
    """One saved state of a ToR: who wrote it, when, and what they said they changed."""

    SECTIONS = ("background", "focus", "objectives", "deliverables", "team", "timing")

    tor = models.ForeignKey(TermsOfReference, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    background = models.TextField("background and context", blank=True)
    focus = models.TextField("focus of the mission", blank=True)
    objectives = models.TextField(blank=True)
    deliverables = models.TextField("expected deliverables", blank=True)
    team = models.TextField("team composition", blank=True)
    timing = models.TextField("timing and itinerary", blank=True)
    change_note = models.CharField("what changed", max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tor", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tor", "number"], name="one_tor_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.tor} v{self.number}"


# Invitations, nominations and the team --------------------------------------------------------


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
    shared_with = models.TextField("shared with", blank=True)

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
        return f"{self.invitee} to {self.mission}"

    @property
    def invitee(self):
        return self.global_cluster or self.cross_cutting_issue


class Grade(models.IntegerChoices):
    """Seniority as the UN common system grades it; higher is more senior."""

    NATIONAL = 1, "National officer (NO-A to NO-D)"
    P2 = 2, "P-2 or equivalent"
    P3 = 3, "P-3 or equivalent"
    P4 = 4, "P-4 or equivalent"
    P5 = 5, "P-5 or equivalent"
    D1 = 6, "D-1 or equivalent"
    D2 = 7, "D-2 or above"


class Nomination(models.Model):
    """A focal point proposes a participant; the GCC accepts (they join the team) or declines.

    A participant represents one or more clusters or cross-cutting issues, not their agency:
    both are recorded.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="nominations"
    )
    invitation = models.ForeignKey(Invitation, on_delete=models.PROTECT, related_name="nominations")
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="nominations"
    )
    agency = models.ForeignKey("clusters.Organisation", on_delete=models.PROTECT, related_name="+")
    clusters = models.ManyToManyField(
        "clusters.GlobalCluster", blank=True, related_name="+", verbose_name="clusters represented"
    )
    cross_cutting_issues = models.ManyToManyField(
        "clusters.CrossCuttingIssue",
        blank=True,
        related_name="+",
        verbose_name="cross-cutting issues represented",
    )
    years_in_field = models.PositiveSmallIntegerField("years of humanitarian field experience")
    previous_missions = models.PositiveSmallIntegerField("previous support missions", default=0)
    languages = models.CharField(max_length=200)
    grade = models.PositiveSmallIntegerField(choices=Grade.choices)
    available_from = models.DateField()
    available_to = models.DateField()
    experience = models.TextField("relevant experience", blank=True)

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

    # Logistics of an accepted participant.
    arrival_on = models.DateField(null=True, blank=True)
    departure_on = models.DateField(null=True, blank=True)
    counterpart = models.CharField("country counterpart", max_length=200, blank=True)

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
        return f"{self.participant} for {self.mission}"

    @property
    def seniority(self) -> tuple[int, int, int]:
        """What decides a tie in the leader's election: grade, then years, then missions."""
        return (self.grade, self.years_in_field, self.previous_missions)


# The leader's election ------------------------------------------------------------------------


class ElectionQuerySet(models.QuerySet):
    def leader_on_team(self) -> "ElectionQuerySet":
        """Closed rounds whose winner is still on the team. A leader whose nomination is later
        withdrawn leaves the post vacant; the closed record itself never changes."""
        return self.filter(closed_at__isnull=False, winner__isnull=False).filter(
            models.Exists(
                Nomination.objects.filter(
                    mission=models.OuterRef("mission"),
                    participant=models.OuterRef("winner"),
                    status=Nomination.Status.ACCEPTED,
                )
            )
        )


class Election(models.Model):
    """One round of the team's vote for its leader. A run-off is a further round.

    Secrecy: a Ballot says only that a member voted; a vote adds one to a Candidate's count
    in the same transaction, and no row links a voter to a candidate.
    """

    class TieRule(models.TextChoices):
        SENIORITY = "seniority", "The more senior candidate"
        RUN_OFF = "run_off", "A run-off between the tied candidates"

    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="elections"
    )
    round = models.PositiveSmallIntegerField(default=1)
    tie_rule = models.CharField(max_length=10, choices=TieRule.choices)
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
        return f"Leader election for {self.mission} (round {self.round})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


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
        return f"{self.member.participant} in {self.election}"


# Cross-cutting issues -------------------------------------------------------------------------


def briefing_path(coverage: "IssueCoverage", filename: str) -> str:
    return f"missions/{coverage.mission_id}/briefings/{uuid.uuid4().hex}"


class IssueCoverage(models.Model):
    """How one relevant cross-cutting issue is covered: on the team, remotely, or by a
    briefing paper."""

    class Mode(models.TextChoices):
        REPRESENTED = "represented", "Represented on the team"
        REMOTE = "remote", "Supports remotely"
        BRIEFING = "briefing", "Briefing paper"

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
        verbose_name_plural = "issue coverage"
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "cross_cutting_issue"], name="one_coverage_per_issue"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cross_cutting_issue} on {self.mission}"


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


class LogisticsEntry(models.Model):
    class Status(models.TextChoices):
        TODO = "todo", "To do"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        NOT_NEEDED = "not_needed", "Not needed"

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
        verbose_name_plural = "logistics entries"
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
        return f"{self.item} for {self.participant or self.mission}"


# Lessons --------------------------------------------------------------------------------------


class Lesson(models.Model):
    class Kind(models.TextChoices):
        LESSON = "lesson", "Lesson learnt"
        GOOD_PRACTICE = "good_practice", "Good practice"

    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="lessons"
    )
    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.LESSON)
    title = models.CharField(max_length=200)
    text = models.TextField()
    tags = models.CharField(max_length=200, blank=True, help_text="Comma-separated.")
    clusters = models.ManyToManyField("clusters.GlobalCluster", blank=True, related_name="+")
    country = models.ForeignKey("clusters.Country", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in self.tags.split(",") if tag.strip()]
