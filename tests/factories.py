"""factory_boy factories. Missions are created through the service so permissions are real."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from clusters.models import Country, GlobalCluster, Organisation
from missions.models import (
    ChecklistItem,
    Election,
    Grade,
    Invitation,
    IssueCoverage,
    LogisticsEntry,
    Mission,
    Nomination,
    Score,
    ScoringCriterion,
    TermsOfReference,
    ToRVersion,
)
from missions.models.mission import relevant_issues
from missions.services.mission import mission_create
from missions.services.permissions import invitation_grant, team_member_grant


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("pw")


def complete_request(**overrides) -> dict:
    """Request fields that satisfy every guard up to the end of the lifecycle."""
    start = datetime.date.today() + datetime.timedelta(days=60)
    fields = {
        "issues": "Cluster coordination at district level.",
        "objectives": "Strengthen inter-cluster coordination.",
        "deliverables": "An action plan agreed with the HCT.",
        "preferred_start": start,
        "preferred_end": start + datetime.timedelta(days=10),
        "suggested_team_size": 4,
        "composition_notes": "Health, WASH and a gender focal point.",
        "security_constraints": "None known.",
        "planned_evaluations": "None planned.",
        "hct_endorsed_on": start - datetime.timedelta(days=30),
        "hct_endorsement_record": "HCT minutes of its last meeting.",
        "country_contacts": "OCHA head of office.",
        "triage_note": "Complete.",
        "priority_score": 3.5,
        "priority_rank": 1,
        "agreed_focus": "HCT and cluster linkages.",
        "draft_tor": "Review coordination; recommend steps.",
        "country_consultation_on": start + datetime.timedelta(days=8),
        "decision_communicated_at": timezone.now(),
    }
    fields.update(overrides)
    return fields


def make_mission(
    country: str = "PAK", *, status: str = "draft", complete: bool = True, **overrides
) -> Mission:
    """A mission in `status`. The state is set directly: this is test set-up, not behaviour."""
    fields = complete_request(**overrides) if complete else overrides
    mission = mission_create(
        country=Country.objects.get(code=country),
        title=fields.pop("title", f"Mission to {country}"),
        mission_type=fields.pop("mission_type", Mission.Type.SPECIFIC_ISSUES),
        **fields,
    )
    if complete:
        # One Task Team member's scorecard, so the approve guard's priority exists.
        scorer = UserFactory(username="scorer")
        for criterion in ScoringCriterion.objects.filter(active=True):
            Score.objects.create(mission=mission, member=scorer, criterion=criterion, value=3)
    if status != "draft":
        # Past the draft, it was submitted once (a draft never submitted is the country's alone).
        submitted_at = overrides["submitted_at"] if "submitted_at" in overrides else timezone.now()
        Mission.objects.filter(pk=mission.pk).update(status=status, submitted_at=submitted_at)
        mission.refresh_from_db()
    return mission


def make_invitation(mission: Mission, cluster: str = "health") -> Invitation:
    """The GCC's invitation of a global cluster to `mission` (set up directly)."""
    invitation, _ = Invitation.objects.get_or_create(
        mission=mission, global_cluster=GlobalCluster.objects.get(code=cluster)
    )
    invitation_grant(invitation)
    return invitation


def make_member(
    mission: Mission,
    username: str,
    *,
    cluster: str = "health",
    grade: int = Grade.P4,
    years: int = 8,
    status: str = Nomination.Status.ACCEPTED,
) -> Nomination:
    """A participant nominated through `cluster`'s invitation, accepted onto the team unless
    `status` says otherwise."""
    invitation = make_invitation(mission, cluster)
    agency, _ = Organisation.objects.get_or_create(
        name="World Health Organization", defaults={"acronym": "WHO", "kind": "un_agency"}
    )
    start = mission.preferred_start or datetime.date.today()
    nomination = Nomination.objects.create(
        mission=mission,
        invitation=invitation,
        participant=UserFactory(username=username, first_name=username.title()),
        agency=agency,
        years_in_field=years,
        previous_missions=1,
        languages="English, French",
        grade=grade,
        available_from=start,
        available_to=start + datetime.timedelta(days=30),
        status=status,
    )
    nomination.clusters.add(invitation.global_cluster)
    if status == Nomination.Status.ACCEPTED:
        team_member_grant(nomination)
    return nomination


def make_team(mission: Mission, size: int = 3) -> list[Nomination]:
    return [make_member(mission, f"member-{mission.pk}-{i}") for i in range(1, size + 1)]


def make_ready_to_confirm(mission: Mission) -> Mission:
    """Everything `confirm_ready` asks for, set up directly: a final ToR, a confirmed team with
    an elected leader, every relevant cross-cutting issue covered, logistics done."""
    tor = TermsOfReference.objects.create(mission=mission)
    version = ToRVersion.objects.create(tor=tor, number=1, focus="Coordination.")
    tor.final_version = version
    tor.save()
    team = make_team(mission, 2)
    Election.objects.create(
        mission=mission,
        tie_rule=Election.TieRule.SENIORITY,
        closed_at=timezone.now(),
        winner=team[0].participant,
    )
    for issue in relevant_issues(mission):
        IssueCoverage.objects.create(
            mission=mission,
            cross_cutting_issue=issue,
            mode=IssueCoverage.Mode.REMOTE,
            remote_focal_point="Regional adviser",
        )
    start = mission.preferred_start or datetime.date.today()
    Mission.objects.filter(pk=mission.pk).update(
        team_confirmed_at=timezone.now(),
        in_country_from=start,
        in_country_to=start + datetime.timedelta(days=10),
    )
    for item in ChecklistItem.objects.filter(active=True):
        for member in team if item.per_participant else [None]:
            LogisticsEntry.objects.create(
                mission=mission, item=item, participant=member, status=LogisticsEntry.Status.DONE
            )
    mission.refresh_from_db()
    return mission


# The cast's users who cannot see a Pakistan mission at all: a service refuses them as "not
# found" (a 404), where a user who sees the mission but may not act gets PermissionDenied.
OUT_OF_SCOPE = {"outsider", "rc_hc_nepal", "hct_nepal"}


def refusal(who: str) -> type[Exception]:
    """The exception a service raises when cast member `who` tries a step they may not take."""
    from django.core.exceptions import PermissionDenied

    from missions.workflow import MissionNotFound

    return MissionNotFound if who in OUT_OF_SCOPE else PermissionDenied


def make_open_point(mission: Mission, number: int = 1):
    """An open action point on `mission` (set up directly), as leaving the country needs."""
    import datetime

    from django.utils import timezone

    from missions.models import ActionPoint

    return ActionPoint.objects.create(
        mission=mission,
        number=number,
        reference=f"{mission.country.code}-TEST-{mission.pk}-{number:02d}",
        text="A recommendation agreed with the country.",
        addressee_kind=ActionPoint.Addressee.ROLE,
        addressee_role="The HCT",
        due_on=timezone.localdate() + datetime.timedelta(days=60),
        indicator="An indicator",
        verification="A means of verification",
        status="open",
    )


def point_fields(owner, **overrides) -> dict:
    """What a team types for a complete action point (due in a month from today)."""
    import datetime

    from django.utils import timezone

    from missions.models import ActionPoint

    fields = {
        "text": "Set up a joint needs assessment working group in Sindh.",
        "addressee_kind": ActionPoint.Addressee.ROLE,
        "addressee_role": "The HCT",
        "level": ActionPoint.Level.COUNTRY,
        "owner": owner,
        "due_on": timezone.localdate() + datetime.timedelta(days=30),
        "indicator": "Working group meets monthly.",
        "verification": "Minutes of its meetings.",
    }
    fields.update(overrides)
    return fields


def make_final_report(mission: Mission, *, recipients: int = 1, **sections):
    """A final report (version 1) and a distribution list, as `distribute_report` needs (set up
    directly)."""
    from missions.models import MissionReport, ReportRecipient, ReportVersion

    report, _ = MissionReport.objects.get_or_create(mission=mission)
    text = {"summary": "The mission's summary.", "conclusions": "What the team concluded."}
    text.update(sections)
    version = ReportVersion.objects.create(report=report, number=1, **text)
    report.final_version = version
    report.save(update_fields=["final_version"])
    for index in range(recipients):
        ReportRecipient.objects.create(
            mission=mission,
            name=f"Recipient {index + 1}",
            email=f"recipient-{mission.pk}-{index + 1}@example.org",
        )
    return version
