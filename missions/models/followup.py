"""Follow-up: the action points a mission recommends, their progress and evidence, the
cluster improvement plans that group them, and the reminders that keep them moving.

An action point has its own small state machine, taken through the same runner as the
mission's (`missions.workflow.Machine.run`): `draft → open → in_progress → done`, `dropped`
(with a reason) and `carried` (to a follow-up mission). Who may take each transition and what
must hold first are declared on the transition.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from clusters.models import (
    ChoiceLabels,
    ConcurrentTransitions,
    CountryCluster,
    GlobalCluster,
    Organisation,
)
from missions.models.team import TEAM_CODENAMES
from missions.workflow import Guard, Machine, Missing, TransitionLogBase, holds


# The action point's states, as users read them (the context lets a language agree them
# with "action point").
class PointStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("action point state", "Draft")
    OPEN = "open", pgettext_lazy("action point state", "Open")
    IN_PROGRESS = "in_progress", pgettext_lazy("action point state", "In progress")
    DONE = "done", pgettext_lazy("action point state", "Done")
    DROPPED = "dropped", pgettext_lazy("action point state", "Dropped")
    CARRIED = "carried", pgettext_lazy("action point state", "Carried to a follow-up mission")


# Points still being worked on: reminded, offered to a follow-up mission, counted as "open".
LIVE_POINT_STATES = (PointStatus.OPEN, PointStatus.IN_PROGRESS)
# The badge each state wears (the classes of the missions' states with the same colours);
# an open point wears the plain badge.
STATUS_BADGES = {
    PointStatus.DRAFT: "badge draft",
    PointStatus.DONE: "badge approved",
    PointStatus.DROPPED: "badge cancelled",
    PointStatus.CARRIED: "badge closed",
    PointStatus.IN_PROGRESS: "badge deferred",
}
# Points that no longer need anything (done still needs its verification where required).
SETTLED_POINT_STATES = (PointStatus.DONE, PointStatus.DROPPED, PointStatus.CARRIED)


class ImprovementPlan(models.Model):
    """A country cluster's improvement plan from a mission: it groups that cluster's points.

    The global cluster's focal point supports it (named here), sees it and comments on it.
    """

    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="improvement_plans"
    )
    country_cluster = models.ForeignKey(CountryCluster, on_delete=models.PROTECT, related_name="+")
    supported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The global cluster's focal point who supports the plan."),
    )
    summary = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["mission", "country_cluster__global_cluster__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "country_cluster"], name="one_plan_per_cluster_and_mission"
            )
        ]

    def __str__(self) -> str:
        return gettext("Improvement plan: %(cluster)s (%(mission)s)") % {
            "cluster": self.country_cluster,
            "mission": self.mission,
        }


class PlanComment(models.Model):
    plan = models.ForeignKey(ImprovementPlan, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return gettext("Comment on %(plan)s") % {"plan": self.plan}


def leads(point: ActionPoint, user) -> bool:
    """The mission's leader."""
    return holds(user, "lead_mission", point.mission)


def owns(point: ActionPoint, user) -> bool:
    """The point's owner, who reports its progress."""
    return bool(user.is_authenticated and user.is_active and point.owner_id == user.pk)


def leads_or_owns(point: ActionPoint, user) -> bool:
    return leads(point, user) or owns(point, user)


def plans(point: ActionPoint, user) -> bool:
    """The GCC, who organise the follow-up mission that takes the point over."""
    return holds(user, "plan_mission", point.mission)


def leads_or_plans(point: ActionPoint, user) -> bool:
    return leads(point, user) or plans(point, user)


def verifies(point: ActionPoint, user) -> bool:
    """The leader or another member of the team, never the owner themself."""
    if point.owner_id == user.pk:
        return False
    return leads(point, user) or holds(user, "serve_on_mission", point.mission)


@Guard
def point_complete(point: ActionPoint) -> list[Missing]:
    """What an action point needs before it is opened: someone to report, a date, a measure."""
    missing = []
    if point.owner_id is None:
        missing.append(Missing("owner", gettext("Name the owner who reports progress.")))
    if point.due_on is None:
        missing.append(Missing("due_on", gettext("Give the due date.")))
    if not point.indicator.strip():
        missing.append(
            Missing("indicator", gettext("Say how progress is measured (the indicator)."))
        )
    if not point.verification.strip():
        missing.append(Missing("verification", gettext("Give the means of verification.")))
    return missing


@Guard
def evidence_posted(point: ActionPoint) -> list[Missing]:
    """Done needs at least one progress update that carries evidence."""
    if not Evidence.objects.filter(update__point=point).exists():
        return [
            Missing(
                "evidence",
                gettext("Post a progress update with evidence before marking it done."),
            )
        ]
    return []


@Guard
def awaits_verification(point: ActionPoint) -> list[Missing]:
    if point.verified_at is not None or not point.needs_verification():
        return [Missing("verified", gettext("This point is not waiting for verification."))]
    return []


class ActionPoint(ChoiceLabels, ConcurrentTransitions, models.Model):
    """One recommendation of a mission, followed until it is done, dropped or carried."""

    class Level(models.TextChoices):
        COUNTRY = "country", _("Country level")
        GLOBAL = "global", _("Global level")

    class Priority(models.TextChoices):
        HIGH = "high", _("High")
        NORMAL = "normal", _("Normal")

    class Addressee(models.TextChoices):
        ORGANISATION = "organisation", _("An organisation")
        GLOBAL_CLUSTER = "global_cluster", _("A global cluster")
        COUNTRY_CLUSTER = "country_cluster", _("A country cluster")
        ROLE = "role", _("A role (e.g. the RC/HC, the HCT)")

    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="action_points"
    )
    number = models.PositiveSmallIntegerField(editable=False)
    # Country, year and number (PAK-2009-03): set once, never changes.
    reference = models.CharField(max_length=30, unique=True, editable=False)
    text = models.TextField(_("recommendation"))
    addressee_kind = models.CharField(max_length=20, choices=Addressee.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    global_cluster = models.ForeignKey(
        GlobalCluster, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    country_cluster = models.ForeignKey(
        CountryCluster, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    addressee_role = models.CharField(_("role"), max_length=100, blank=True)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.COUNTRY)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_action_points",
    )
    due_on = models.DateField(_("due date"), null=True, blank=True)
    indicator = models.TextField(blank=True)
    verification = models.TextField(_("means of verification"), blank=True)
    resources = models.TextField(_("resource notes (funding, capacity)"), blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    clusters = models.ManyToManyField(GlobalCluster, blank=True, related_name="action_points")
    plan = models.ForeignKey(
        ImprovementPlan,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="points",
    )
    status = FSMField(
        default=PointStatus.DRAFT, choices=PointStatus.choices, protected=True, db_index=True
    )
    drop_reason = models.TextField(blank=True, editable=False)
    carried_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="carried_to",
    )
    done_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Who verified is in the log (the `verify` row).
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["mission", "number"]
        constraints = [
            models.UniqueConstraint(fields=["mission", "number"], name="one_point_number"),
            models.CheckConstraint(
                condition=~Q(status="dropped") | ~Q(drop_reason=""),
                name="a_dropped_point_has_its_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="point_status_due"),
            models.Index(fields=["owner", "status"], name="point_owner_status"),
            # The order of every list of points (POINT_ORDER): who sees every point (HCSS, the
            # GCC) gets a page without sorting all of them.
            models.Index(fields=["due_on", "mission", "number"], name="point_order"),
            # The tracker's figures over every point: counted off these, not the table.
            models.Index(fields=["addressee_kind", "status"], name="point_kind_status"),
            models.Index(fields=["status", "done_at"], name="point_status_done"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.text[:60]}"

    @property
    def addressee(self) -> str:
        """Who the point is addressed to, as people read it."""
        named = {
            self.Addressee.ORGANISATION: self.organisation,
            self.Addressee.GLOBAL_CLUSTER: self.global_cluster,
            self.Addressee.COUNTRY_CLUSTER: self.country_cluster,
        }.get(self.addressee_kind)
        return str(named) if named is not None else self.addressee_role

    def team_ids(self) -> set[int]:
        """The users on this point's mission's team, its leader included."""
        return set(
            self.mission.missionuserobjectpermission_set.filter(
                permission__codename__in=TEAM_CODENAMES
            ).values_list("user_id", flat=True)
        )

    def needs_verification(self, team: set[int] | None = None) -> bool:
        """A high-priority point, or one whose owner is on the team (and so would verify
        their own work), counts as done only once someone else of the team verifies it.
        `team`: the mission's team's user ids, when the caller has them already (a list of
        points from `for_display` has `owner_on_team` instead)."""
        if self.priority == self.Priority.HIGH:
            return True
        if self.owner_id is None:
            return False
        if team is None and hasattr(self, "owner_on_team"):
            return self.owner_on_team
        return self.owner_id in (self.team_ids() if team is None else team)

    def settled(self, team: set[int] | None = None) -> bool:
        """Nothing more to do: done (and verified where required), dropped, or carried."""
        if self.status == PointStatus.DONE:
            return self.verified_at is not None or not self.needs_verification(team)
        return self.status in (PointStatus.DROPPED, PointStatus.CARRIED)

    @property
    def status_badge(self) -> str:
        """The classes of the point's status badge (the colours the missions' states use)."""
        return STATUS_BADGES.get(self.status, "badge")

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.status in LIVE_POINT_STATES and self.due_on is not None and self.due_on < today

    # The transitions. Each only sets fields; the runner does the rest.

    @transition(
        status,
        source=PointStatus.DRAFT,
        target=PointStatus.OPEN,
        # The leader opens the team's drafts; the GCC opens the points a follow-up mission
        # takes over from its parent.
        permission=leads_or_plans,
        conditions=[point_complete],
        custom={"label": _("Open the action point")},
    )
    def open(self):
        pass

    @transition(
        status,
        source=PointStatus.OPEN,
        target=PointStatus.IN_PROGRESS,
        permission=leads_or_owns,
        custom={"label": _("Start work")},
    )
    def start(self):
        pass

    @transition(
        status,
        source=[PointStatus.OPEN, PointStatus.IN_PROGRESS],
        target=PointStatus.DONE,
        permission=leads_or_owns,
        conditions=[evidence_posted],
        custom={"label": _("Mark done")},
    )
    def complete(self):
        self.done_at = timezone.now()
        self.verified_at = None

    @transition(
        status,
        source=PointStatus.DONE,
        target=PointStatus.DONE,
        permission=verifies,
        conditions=[awaits_verification],
        custom={"label": _("Verify")},
    )
    def verify(self):
        self.verified_at = timezone.now()

    @transition(
        status,
        source=PointStatus.DONE,
        target=PointStatus.IN_PROGRESS,
        permission=verifies,
        custom={"label": _("Reopen"), "inputs": ("reason",)},
    )
    def reopen(self, reason: str):
        self.done_at = None
        self.verified_at = None

    @transition(
        status,
        source=[PointStatus.DRAFT, PointStatus.OPEN, PointStatus.IN_PROGRESS],
        target=PointStatus.DROPPED,
        permission=leads,
        custom={"label": pgettext_lazy("action point step", "Drop"), "inputs": ("reason",)},
    )
    def drop(self, reason: str):
        self.drop_reason = reason

    @transition(
        status,
        source=LIVE_POINT_STATES,
        target=PointStatus.CARRIED,
        permission=plans,
        custom={"label": _("Carry to the follow-up mission")},
    )
    def carry(self):
        pass


POINT_TRANSITIONS = ("open", "start", "complete", "verify", "reopen", "drop", "carry")


class ActionPointLog(TransitionLogBase):
    """One row per transition of a point: its history."""

    point = models.ForeignKey(ActionPoint, on_delete=models.CASCADE, related_name="log")
    source = models.CharField(max_length=20, choices=PointStatus.choices)
    target = models.CharField(max_length=20, choices=PointStatus.choices)

    def __str__(self) -> str:
        return f"{self.point}: {self.transition} ({self.source} → {self.target})"


class PointTally(ChoiceLabels, models.Model):
    """How many action points there are of each kind of addressee in each state: the sum of
    its rows. The database writes them as the points change, whatever changes them (triggers
    on missions_actionpoint, migration 0019): each statement adds rows of its own for the
    points it moved in and out, so that writers never wait on one another or on a shared
    row. `point_tally_fold` folds the rows into one a kind and state, each hour."""

    addressee_kind = models.CharField(max_length=20, choices=ActionPoint.Addressee.choices)
    status = models.CharField(max_length=20, choices=PointStatus.choices)
    points = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.addressee_kind} {self.status}: {self.points:+d}"


ACTION_POINT = Machine(
    name="action_point",
    model=ActionPoint,
    transitions=POINT_TRANSITIONS,
    log_model=ActionPointLog,
    log_fk="point",
    noun="action point",
)


class ProgressUpdate(models.Model):
    """The owner's report of progress on a point, with optional evidence files."""

    point = models.ForeignKey(ActionPoint, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField()
    percent = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__lte=100), name="percent_to_100"
            )
        ]

    def __str__(self) -> str:
        return gettext("Update on %(point)s") % {"point": self.point}


def evidence_path(evidence: Evidence, filename: str) -> str:
    return f"missions/{evidence.update.point.mission_id}/evidence/{uuid.uuid4().hex}"


class Evidence(models.Model):
    update = models.ForeignKey(ProgressUpdate, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return self.original_name


class PointReminder(ChoiceLabels, models.Model):
    """Claims one reminder (point, kind, due date, recipient) before it is sent: a second
    sweep, a retried task or a killed worker finds it claimed. The notice it sent is the
    outbox row that carries it."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("Due soon")
        DUE = "due", _("Due today")
        OVERDUE = "overdue", _("Overdue")
        ESCALATION = "escalation", _("Overdue for long: told the leader")

    point = models.ForeignKey(ActionPoint, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    due_on = models.DateField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    notification = models.ForeignKey(
        "missions.Notification", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claimed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["point", "kind", "due_on", "recipient"], name="one_point_reminder"
            )
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s: %(point)s to %(recipient)s") % {
            "kind": self.get_kind_display(),
            "point": self.point,
            "recipient": self.recipient,
        }


class DigestSent(models.Model):
    """Claims one weekly digest per recipient and week."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    week_of = models.DateField(help_text=_("The Monday of the week the digest covers."))
    claimed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "week_of"], name="one_digest_a_week")
        ]

    def __str__(self) -> str:
        return gettext("Digest to %(recipient)s, week of %(week)s") % {
            "recipient": self.recipient,
            "week": self.week_of,
        }


class CalendarToken(models.Model):
    """The secret in a user's private calendar feed URL; revoking makes a new one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return gettext("Calendar of %(user)s") % {"user": self.user}
