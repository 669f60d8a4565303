"""factory_boy factories. Missions are created through the service so permissions are real."""

import datetime

import factory
from django.contrib.auth import get_user_model

from clusters.models import Country
from missions.models import Mission, Score, ScoringCriterion
from missions.services import mission_create


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
        Mission.objects.filter(pk=mission.pk).update(status=status)
        mission.refresh_from_db()
    return mission
