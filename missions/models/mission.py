"""The mission: one request's whole life, from draft to closed, as one state machine.

Every rule of the procedure that decides whether a transition may happen is declared on the
transition itself: who (`permission=`, an object permission on this mission) and what must
hold first (`conditions=`, guards that can say in plain words what is missing). Status only
changes through `missions.services.mission.mission_transition`, which runs `MISSION`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from clusters.models import (
    ChoiceLabels,
    ConcurrentTransitions,
    Country,
    CrossCuttingIssue,
    GlobalCluster,
)
from formats.people import person
from missions.models.followup import PointStatus
from missions.models.preparation import ChecklistItem, IssueCoverage, LogisticsEntry
from missions.models.report import MissionReport
from missions.models.team import Nomination
from missions.models.tor import ToRVersion
from missions.workflow import (
    OPEN_STATES,
    RETURNED,
    RETURNED_IN_A_SENTENCE,
    TRIAGE_QUEUE_STATES,
    Guard,
    Machine,
    Missing,
    Status,
    TransitionLogBase,
    may,
    read_once,
    status_in_sentence,
)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@Guard
def request_complete(mission: Mission) -> list[Missing]:
    """What the procedure asks a request to contain before it goes to OCHA."""
    missing = []
    text_fields = [
        ("objectives", gettext("State the objectives of the mission.")),
        ("deliverables", gettext("Say what the mission is expected to deliver.")),
        (
            "security_constraints",
            gettext(
                "Describe security concerns and other restricting factors "
                "(write 'none known' if there are none)."
            ),
        ),
        (
            "planned_evaluations",
            gettext(
                "List the evaluations already planned in the country, with "
                "their dates (write 'none planned' if there are none)."
            ),
        ),
    ]
    for field, message in text_fields:
        if _blank(getattr(mission, field)):
            missing.append(Missing(field, message))
    if mission.preferred_start is None or mission.preferred_end is None:
        missing.append(
            Missing("preferred_start", gettext("Give the preferred timing (start and end)."))
        )
    if mission.suggested_team_size is None:
        missing.append(Missing("suggested_team_size", gettext("Suggest a team size.")))
    if _blank(mission.composition_notes) and not (
        mission.requested_clusters.exists() or mission.requested_issues.exists()
    ):
        missing.append(
            Missing(
                "requested_clusters",
                gettext(
                    "Suggest the team's composition: clusters and cross-cutting issues wanted."
                ),
            )
        )
    if (
        _blank(mission.hct_endorsement_record)
        and not mission.attachments.filter(kind="hct_minutes").exists()
    ):
        missing.append(
            Missing(
                "hct_endorsement_record",
                gettext(
                    "Record the HCT's agreement that a mission is needed: describe the meeting "
                    "or attach its minutes."
                ),
            )
        )
    if mission.hct_endorsed_on is None:
        missing.append(
            Missing("hct_endorsed_on", gettext("Give the date the HCT agreed to the request."))
        )
    return missing


@Guard
def revision_answered(mission: Mission) -> list[Missing]:
    """A request returned with questions goes back only with the answers."""
    if not _blank(mission.revision_questions) and _blank(mission.revision_answer):
        return [
            Missing("revision_answer", gettext("Answer HCSS's questions before you submit again."))
        ]
    return []


@Guard
def triage_note_written(mission: Mission) -> list[Missing]:
    if _blank(mission.triage_note):
        return [
            Missing(
                "triage_note", gettext("Write a triage note confirming the request is complete.")
            )
        ]
    return []


@Guard
def scored_with_focus_and_tor(mission: Mission) -> list[Missing]:
    """The Task Team's priority exists (someone scored) and the focus and draft ToR are written."""
    missing = []
    if not mission.scores.exists():
        missing.append(
            Missing(
                "scores", gettext("At least one Task Team member must score the request first.")
            )
        )
    if _blank(mission.agreed_focus):
        missing.append(Missing("agreed_focus", gettext("Write the agreed focus of the mission.")))
    if _blank(mission.draft_tor):
        missing.append(Missing("draft_tor", gettext("Write the draft Terms of Reference.")))
    return missing


@Guard
def decision_communicated(mission: Mission) -> list[Missing]:
    """OCHA has told the RC/HC office and the HCT of the approval (missions.notices)."""
    if mission.decision_communicated_at is None or (
        mission.decided_at and mission.decision_communicated_at < mission.decided_at
    ):
        return [
            Missing(
                "decision_communicated_at",
                gettext(
                    "The decision has not been communicated to the RC/HC office and the HCT "
                    "yet: wait for the notice to go out."
                ),
            )
        ]
    return []


@Guard
def tor_final(mission: Mission) -> list[Missing]:
    current = current_tor_version(mission)
    if current is None or current.tor.final_version_id is None:
        return [Missing("tor", gettext("Mark the Terms of Reference final."))]
    return []


@Guard
def team_confirmed(mission: Mission) -> list[Missing]:
    if mission.team_confirmed_at is None:
        return [Missing("team", gettext("Confirm the team's composition."))]
    return []


@Guard
def leader_elected(mission: Mission) -> list[Missing]:
    if mission.elections.leader_on_team().exists():
        return []
    if mission.elections.filter(winner__isnull=False).exists():
        return [
            Missing(
                "election", gettext("The elected leader has left the team: elect a new leader.")
            )
        ]
    return [Missing("election", gettext("The team has not elected its leader yet."))]


def relevant_issues(mission: Mission):
    """The cross-cutting issues the mission must cover: those the request asked for and those
    the GCC invited."""

    return CrossCuttingIssue.objects.filter(
        models.Q(requested_in=mission) | models.Q(invitation__mission=mission)
    ).distinct()


# What the planning guards read, each read once on a page that shows them beside its
# overviews (missions.workflow.shared_reads).


def current_tor_version(mission: Mission) -> ToRVersion | None:
    """The ToR's newest version with its ToR and author (not its texts), or None."""
    return read_once(
        ("tor_version", mission.pk),
        lambda: (
            ToRVersion.objects.filter(tor__mission=mission)
            .select_related("author", "tor")
            .defer(*ToRVersion.SECTIONS)
            .order_by("-number")
            .first()
        ),
    )


def relevant_issue_list(mission: Mission) -> list[CrossCuttingIssue]:
    """`relevant_issues`, by name."""
    return read_once(
        ("relevant_issues", mission.pk), lambda: list(relevant_issues(mission).order_by("name"))
    )


def coverage_by_issue(mission: Mission) -> dict[int, IssueCoverage]:
    """How each issue is covered, by the issue's pk (with the member and who uploaded)."""

    def read():
        rows = IssueCoverage.objects.filter(mission=mission).select_related(
            "member__participant", "briefing_uploaded_by", "updated_by"
        )
        return {row.cross_cutting_issue_id: row for row in rows}

    return read_once(("coverage", mission.pk), read)


def is_covered(coverage: IssueCoverage | None, mission: Mission) -> bool:
    """An issue is covered by a member still on the team, remote support with a focal point,
    or a briefing paper."""
    Mode = IssueCoverage.Mode
    if coverage is None:
        return False
    if coverage.mode == Mode.REPRESENTED:
        member = coverage.member
        return (
            member is not None
            and member.status == Nomination.Status.ACCEPTED
            and member.mission_id == mission.pk
        )
    if coverage.mode == Mode.REMOTE:
        return coverage.remote_focal_point != ""
    if coverage.mode == Mode.BRIEFING:
        return bool(coverage.briefing)
    return False


def uncovered_issues(mission: Mission) -> list[CrossCuttingIssue]:
    """The relevant issues not covered yet, by name."""
    coverage = coverage_by_issue(mission)
    return [
        issue
        for issue in relevant_issue_list(mission)
        if not is_covered(coverage.get(issue.pk), mission)
    ]


def accepted_members(mission: Mission) -> list[Nomination]:
    """The team: the accepted nominations, with their participant, in the order accepted."""
    return read_once(
        ("accepted_members", mission.pk),
        lambda: list(
            Nomination.objects.filter(mission=mission, status=Nomination.Status.ACCEPTED)
            .select_related("participant")
            .order_by("pk")
        ),
    )


def active_checklist() -> list[ChecklistItem]:
    """The logistics checklist's items in use."""
    return read_once(("checklist",), lambda: list(ChecklistItem.objects.filter(active=True)))


def logistics_statuses(mission: Mission) -> dict[tuple[int, int | None], str]:
    """Each checklist entry's status, by (item pk, participant pk or None)."""
    return read_once(
        ("logistics", mission.pk),
        lambda: {
            (item, participant): status
            for item, participant, status in LogisticsEntry.objects.filter(
                mission=mission
            ).values_list("item_id", "participant_id", "status")
        },
    )


@Guard
def issues_covered(mission: Mission) -> list[Missing]:
    """Each relevant issue is on the team, supported remotely, or has its briefing paper."""
    return [
        Missing(
            "issues",
            gettext("Cover %(issue)s: a team member, remote support or a briefing paper.")
            % {"issue": issue.name},
        )
        for issue in uncovered_issues(mission)
    ]


@Guard
def logistics_complete(mission: Mission) -> list[Missing]:
    """The dates in the country are set and every checklist item is done (or not needed),
    for the mission and for each team member."""

    missing = []
    if mission.in_country_from is None or mission.in_country_to is None:
        missing.append(Missing("in_country_from", gettext("Set the dates in the country.")))
    done = {
        cell
        for cell, status in logistics_statuses(mission).items()
        if status in LogisticsEntry.DONE_STATES
    }
    members = accepted_members(mission)
    for item in active_checklist():
        if not item.per_participant:
            if (item.pk, None) not in done:
                missing.append(
                    Missing("logistics", gettext("Logistics: %(item)s.") % {"item": item.name})
                )
            continue
        pending = [m for m in members if (item.pk, m.pk) not in done]
        if pending:
            names = ", ".join(person(m.participant) for m in pending)
            missing.append(
                Missing(
                    "logistics",
                    gettext("Logistics: %(item)s (%(names)s).")
                    % {"item": item.name, "names": names},
                )
            )
    return missing


@Guard
def action_points_drafted(mission: Mission) -> list[Missing]:
    """The team leaves the country with its recommendations agreed: at least one point open."""
    if not mission.action_points.exclude(status=PointStatus.DRAFT).exists():
        return [
            Missing(
                "action_points",
                gettext("Draft the action points with the RC/HC and HCT and open at least one."),
            )
        ]
    return []


@Guard
def action_points_settled(mission: Mission) -> list[Missing]:
    """Every point done (and verified where required), dropped with a reason, or carried."""
    points = list(mission.action_points.all())
    team = points[0].team_ids() if points else set()
    unsettled = [p for p in points if not p.settled(team)]
    if not unsettled:
        return []
    return [
        Missing(
            "action_points",
            gettext(
                "Settle every action point (done and verified, dropped with a reason, or carried "
                "to a follow-up mission): %(references)s."
            )
            % {"references": ", ".join(p.reference for p in unsettled)},
        )
    ]


@Guard
def report_final(mission: Mission) -> list[Missing]:
    report = MissionReport.objects.filter(mission=mission).only("final_version").first()
    if report is None or report.final_version_id is None:
        return [Missing("report", gettext("Mark the report final."))]
    if report.versions.order_by("-number").values_list("pk", flat=True)[0] != (
        report.final_version_id
    ):
        return [Missing("report", gettext("Mark the report's current version final."))]
    return []


@Guard
def distribution_listed(mission: Mission) -> list[Missing]:
    if not mission.report_recipients.exists():
        return [
            Missing("recipients", gettext("Put at least one address on the distribution list."))
        ]
    return []


@Guard
def country_consulted(mission: Mission) -> list[Missing]:
    if mission.country_consultation_on is None:
        return [
            Missing(
                "country_consultation_on",
                gettext("Record the consultation with the RC/HC and HCT on the action points."),
            )
        ]
    return []


class Mission(ChoiceLabels, ConcurrentTransitions, models.Model):
    class Type(models.TextChoices):
        DIAGNOSTIC = "diagnostic", _("Diagnostic")
        FOLLOW_UP = "follow_up", _("Follow-up of an earlier mission")
        SPECIFIC_ISSUES = "specific_issues", _("Specific issues")

    # The request, as the RC/HC office writes it.
    title = models.CharField(max_length=200)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="missions")
    mission_type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        help_text=_("For a follow-up: the earlier mission it follows."),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requested_missions",
    )
    issues = models.TextField(_("issues to address"), blank=True)
    objectives = models.TextField(blank=True)
    deliverables = models.TextField(_("expected deliverables"), blank=True)
    preferred_start = models.DateField(null=True, blank=True)
    preferred_end = models.DateField(null=True, blank=True)
    suggested_team_size = models.PositiveSmallIntegerField(null=True, blank=True)
    requested_clusters = models.ManyToManyField(
        GlobalCluster, blank=True, related_name="requested_in", verbose_name=_("clusters wanted")
    )
    requested_issues = models.ManyToManyField(
        CrossCuttingIssue,
        blank=True,
        related_name="requested_in",
        verbose_name=_("cross-cutting issues wanted"),
    )
    composition_notes = models.TextField(_("suggested composition"), blank=True)
    security_constraints = models.TextField(
        _("security concerns and restricting factors"), blank=True
    )
    planned_evaluations = models.TextField(_("evaluations already planned"), blank=True)
    hct_endorsed_on = models.DateField(_("date of the HCT's agreement"), null=True, blank=True)
    hct_endorsement_record = models.TextField(_("record of the HCT's agreement"), blank=True)
    country_contacts = models.TextField(blank=True)

    status = FSMField(default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Triage (HCSS).
    triage_note = models.TextField(blank=True)
    revision_questions = models.TextField(_("questions for the RC/HC"), blank=True, editable=False)
    revision_answer = models.TextField(_("answers to HCSS's questions"), blank=True)

    # The Task Team's decision record.
    priority_score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    priority_rank = models.PositiveIntegerField(null=True, blank=True)
    agreed_focus = models.TextField(blank=True)
    draft_tor = models.TextField(_("draft Terms of Reference"), blank=True)
    decision_reason = models.TextField(blank=True, editable=False)
    revisit_on = models.DateField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the notices of the decision went to the RC/HC office and the HCT.
    decision_communicated_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Planning (GCC).
    in_country_from = models.DateField(_("in the country from"), null=True, blank=True)
    in_country_to = models.DateField(_("in the country until"), null=True, blank=True)
    team_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    team_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    # In country.
    country_consultation_on = models.DateField(
        "consultation with RC/HC and HCT on", null=True, blank=True
    )
    cancel_reason = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("submit_mission", "Can draft and submit the request"),
            ("endorse_mission", "Can record the HCT's endorsement"),
            ("triage_mission", "Can triage the request"),
            ("decide_mission", "Can prioritise and decide on the request"),
            ("plan_mission", "Can organise the mission"),
            ("lead_mission", "Can lead the mission and its follow-up"),
            ("nominate_mission", "Can see the invitation and nominate participants"),
            ("serve_on_mission", "Is on the mission's team"),
            ("cancel_mission", "Can cancel the mission"),
        ]
        indexes = [
            models.Index(fields=["country", "status"]),
            # Every list shows the newest first: without it, each sorts the whole table.
            models.Index(fields=["-created_at", "-id"], name="mission_newest_first"),
            # What the global roles' scope reads (a country's drafts never submitted are
            # out): their counts scan this index alone, not the table (7 ms to 1.4 at 10,000).
            models.Index(fields=["status", "submitted_at", "country"], name="mission_scope"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def returned_for_revision(self) -> bool:
        return self.status == Status.DRAFT and bool(self.revision_questions)

    # What `status_label` reads: a list that shows only the badge loads only these.
    STATUS_FIELDS = ("status", "revision_questions")
    # What a list of missions shows (the site's and the admin's): title, country, type, state,
    # days since submission. Not the forty columns with the request's long texts.
    LIST_FIELDS = ("title", "country", "mission_type", "submitted_at", *STATUS_FIELDS)

    @property
    def status_label(self) -> str:
        """The state's name as every list and badge shows it."""
        return str(RETURNED) if self.returned_for_revision else self.get_status_display()

    @property
    def status_in_sentence(self) -> str:
        """The state inside a sentence: "the mission is now {this}"."""
        if self.returned_for_revision:
            return str(RETURNED_IN_A_SENTENCE)
        return status_in_sentence(self.status)

    @property
    def is_editable_request(self) -> bool:
        return self.status == Status.DRAFT

    # The transitions. Each only sets fields; mission_transition does the rest.

    @transition(
        status,
        source=Status.DRAFT,
        target=Status.SUBMITTED,
        permission=may("submit_mission"),
        conditions=[request_complete, revision_answered],
        custom={"label": _("Submit the request")},
    )
    def submit(self):
        self.submitted_at = timezone.now()

    @transition(
        status,
        source=Status.SUBMITTED,
        target=Status.IN_TRIAGE,
        permission=may("triage_mission"),
        custom={"label": _("Start triage")},
    )
    def start_triage(self):
        pass

    @transition(
        status,
        source=TRIAGE_QUEUE_STATES,
        target=Status.DRAFT,
        permission=may("triage_mission"),
        custom={"label": _("Return for revision"), "inputs": ("reason",)},
    )
    def return_for_revision(self, reason: str):
        self.revision_questions = reason
        self.revision_answer = ""

    @transition(
        status,
        source=Status.IN_TRIAGE,
        target=Status.WITH_TASK_TEAM,
        permission=may("triage_mission"),
        conditions=[triage_note_written],
        custom={"label": _("Forward to the Task Team")},
    )
    def forward(self):
        pass

    @transition(
        status,
        source=Status.WITH_TASK_TEAM,
        target=Status.APPROVED,
        permission=may("decide_mission"),
        conditions=[scored_with_focus_and_tor],
        custom={"label": _("Approve")},
    )
    def approve(self):
        self.decision_reason = ""
        self.decided_at = timezone.now()

    @transition(
        status,
        source=Status.WITH_TASK_TEAM,
        target=Status.DECLINED,
        permission=may("decide_mission"),
        custom={"label": _("Decline"), "inputs": ("reason",)},
    )
    def decline(self, reason: str):
        self.decision_reason = reason
        self.decided_at = timezone.now()

    @transition(
        status,
        source=Status.WITH_TASK_TEAM,
        target=Status.DEFERRED,
        permission=may("decide_mission"),
        custom={"label": _("Defer"), "inputs": ("reason", "revisit_on")},
    )
    def defer(self, reason: str, revisit_on):
        self.decision_reason = reason
        self.revisit_on = revisit_on
        self.decided_at = timezone.now()

    @transition(
        status,
        source=Status.DEFERRED,
        target=Status.WITH_TASK_TEAM,
        permission=may("decide_mission"),
        custom={"label": _("Reconsider")},
    )
    def reconsider(self):
        self.revisit_on = None

    @transition(
        status,
        source=Status.APPROVED,
        target=Status.IN_PLANNING,
        permission=may("plan_mission"),
        conditions=[decision_communicated],
        custom={"label": _("Start planning")},
    )
    def start_planning(self):
        pass

    @transition(
        status,
        source=Status.IN_PLANNING,
        target=Status.READY,
        permission=may("plan_mission"),
        conditions=[tor_final, team_confirmed, leader_elected, issues_covered, logistics_complete],
        custom={"label": _("Confirm ready to deploy")},
    )
    def confirm_ready(self):
        pass

    @transition(
        status,
        source=Status.READY,
        target=Status.IN_COUNTRY,
        permission=may("plan_mission"),
        custom={"label": _("Deploy")},
    )
    def deploy(self):
        pass

    @transition(
        status,
        source=Status.IN_COUNTRY,
        target=Status.REPORTING,
        permission=may("lead_mission"),
        conditions=[action_points_drafted, country_consulted],
        custom={"label": _("Leave the country")},
    )
    def leave_country(self):
        pass

    @transition(
        status,
        source=Status.REPORTING,
        target=Status.FOLLOW_UP,
        permission=may("lead_mission"),
        conditions=[report_final, distribution_listed],
        custom={"label": _("Distribute the report")},
    )
    def distribute_report(self):
        pass

    @transition(
        status,
        source=Status.FOLLOW_UP,
        target=Status.CLOSED,
        permission=may("lead_mission"),
        conditions=[action_points_settled],
        custom={"label": pgettext_lazy("mission step", "Close")},
    )
    def close(self):
        pass

    @transition(
        status,
        source=OPEN_STATES,
        target=Status.CANCELLED,
        permission=may("cancel_mission"),
        custom={"label": _("Cancel the mission"), "inputs": ("reason",)},
    )
    def cancel(self, reason: str):
        self.cancel_reason = reason


TRANSITION_NAMES = (
    "submit",
    "start_triage",
    "return_for_revision",
    "forward",
    "approve",
    "decline",
    "defer",
    "reconsider",
    "start_planning",
    "confirm_ready",
    "deploy",
    "leave_country",
    "distribute_report",
    "close",
    "cancel",
)


class TransitionLog(TransitionLogBase):
    """One row per transition taken: the mission's history and the source of its notices."""

    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="log")
    source = models.CharField(max_length=20, choices=Status.choices)
    target = models.CharField(max_length=20, choices=Status.choices)

    def __str__(self) -> str:
        return f"{self.mission}: {self.transition} ({self.source} → {self.target})"


class MissionUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Mission, on_delete=models.CASCADE)


class MissionGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Mission, on_delete=models.CASCADE)


class TriageRequest(Mission):
    """The HCSS triage queue in the admin: submitted requests and those in triage."""

    class Meta:
        proxy = True
        verbose_name = _("request to triage")
        verbose_name_plural = _("triage queue")


# The mission's state machine as the runner (missions.workflow) takes it.
MISSION = Machine(
    name="mission",
    model=Mission,
    transitions=TRANSITION_NAMES,
    log_model=TransitionLog,
    log_fk="mission",
    noun="mission",
)
