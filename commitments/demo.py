"""Demo data for the commitments: Pakistan's health and nutrition clusters, six partner
organisations of different kinds, two rounds each with answers that improve from one to the
next and the obstacles partners name (language, access, time and resources).

The health cluster's second round is open (opened through the service, so its partners are
told); the others are history, written directly with their dates. Idempotent: users match by
user name, organisations by name, rounds by cluster and period.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from clusters.models import Country, CountryCluster, GlobalCluster, Organisation, Role
from clusters.services import role_grant
from commitments.models import (
    Answer,
    AssessmentStatus,
    ClusterAction,
    FrameworkItem,
    ItemKind,
    ObstacleFaced,
    Rating,
    Round,
    RoundEvent,
    RoundStatus,
    SelfAssessment,
)
from commitments.selectors.framework import current_version
from commitments.services.rounds import round_open

COORDINATOR = "coord-pakistan-health"
PARTNER = "partner-pakistan-ngo"

# (acronym, name, kind): two UN agencies, an international NGO, two national NGOs and the
# national Red Crescent society.
ORGANISATIONS = [
    ("WHO", "World Health Organization", Organisation.Kind.UN_AGENCY),
    ("UNICEF", "United Nations Children's Fund", Organisation.Kind.UN_AGENCY),
    ("SC", "Save the Children", Organisation.Kind.NGO),
    ("PRCS", "Pakistan Red Crescent Society", Organisation.Kind.RED_CROSS),
    ("IHA", "Indus Health Alliance", Organisation.Kind.NGO),
    ("SWT", "Sehat Welfare Trust", Organisation.Kind.NGO),
]
PARTNER_ORGANISATION = "IHA"

# One letter per commitment (1–11), then per principle (1–5): Met, Partly, Not met, n/a.
# The first round is weaker (AAP, cross-cutting issues, interpretation, senior staff); the
# second shows the cluster's actions on them taking hold.
ANSWERS = {
    "health": {
        1: {
            "WHO": ("MMPPMMMPMMP", "MMMPM"),
            "UNICEF": ("MPPPMMMMMPP", "MPMMM"),
            "SC": ("MXPNMPMMPPN", "MPPMM"),
            "PRCS": ("MNNPMPPPMNN", "PPPMM"),
            "IHA": ("PNNNPPPNPNN", "PNPPP"),
            "SWT": ("PNPNMPPNPPN", "PNPMP"),
        },
        2: {
            "WHO": ("MMMPMMMMMMM", "MMMMM"),
            "UNICEF": ("MMMPMMMMMMP", "MMMMM"),
            "SC": ("MPMPMMMMMPP", "MPMMM"),
            "PRCS": ("MPPPMMPMMPP", "MPMMM"),
            "SWT": ("MNPPMPPPPPP", "PPPMP"),
            "IHA": None,  # still a draft: the round is open (the demo's partner fills it in)
        },
    },
    "nutrition": {
        1: {
            "UNICEF": ("MMPPMMMMMMP", "MMMPM"),
            "WHO": ("MPPPMMPMMPP", "MPMMM"),
            "SC": ("MPPNMMMPPPN", "MPPMM"),
            "PRCS": ("PNNNPPPNPNN", "PNPPM"),
            "IHA": ("PXNNPPNNPNN", "PNPPP"),
        },
        2: {
            "UNICEF": ("MMMPMMMMMMM", "MMMMM"),
            "WHO": ("MMPPMMMMMPP", "MMMMM"),
            "SC": ("MPMPMMMMMPP", "MPMMM"),
            "PRCS": ("MPPPMPMPPPP", "PPMMM"),
            "IHA": ("MPPNMPPPPNP", "PPPMP"),
        },
    },
}
LETTERS = {"M": Rating.MET, "P": Rating.PARTLY, "N": Rating.NOT_MET, "X": Rating.NOT_APPLICABLE}

# What each kind of organisation runs into, and says would help.
OBSTACLES = {
    "WHO": (["time_resources"], "Staff turnover in the provincial offices.", "Longer deployments."),
    "UNICEF": (
        ["time_resources", "authorities"],
        "Approvals from the district authorities take weeks.",
        "A joint letter from the cluster lead to the provincial health department.",
    ),
    "SC": (
        ["access_location", "time_resources"],
        "Flood-affected union councils in Dadu are cut off for weeks.",
        "Pooled transport to the field sites.",
    ),
    "PRCS": (
        ["access_language", "capacity"],
        "Volunteers work in Sindhi and Saraiki; the meetings are in English.",
        "Interpretation at cluster meetings and translated minutes.",
    ),
    "IHA": (
        ["access_language", "time_resources", "capacity"],
        "One coordinator for three districts; the cluster's documents are in English only.",
        "Urdu summaries of the cluster's guidance, and meetings we can join by phone.",
    ),
    "SWT": (
        ["access_language", "access_location", "leadership"],
        "Meetings are held in Islamabad, far from our work in Balochistan.",
        "Sub-national meetings in Quetta.",
    ),
}

# (cluster, round, commitment number, action, owner, due in days after the round's end)
ACTIONS = [
    (
        "health",
        1,
        11,
        "Provide Urdu and Sindhi interpretation at every cluster meeting; translate the minutes.",
        "Health cluster coordinator (WHO)",
        60,
    ),
    (
        "health",
        1,
        3,
        "Agree a common feedback and complaints mechanism with the partners in Sindh.",
        "AAP working group",
        90,
    ),
    (
        "health",
        1,
        10,
        "Ask each partner to name a senior focal point for the cluster.",
        "Health cluster coordinator (WHO)",
        30,
    ),
    (
        "nutrition",
        1,
        4,
        "Train partners' field staff on gender and age in CMAM programmes.",
        "Nutrition cluster coordinator (UNICEF)",
        90,
    ),
    (
        "nutrition",
        2,
        11,
        "Hold the monthly meeting in Urdu with English summaries.",
        "Nutrition cluster coordinator (UNICEF)",
        45,
    ),
]


def _users(password: str, health: CountryCluster, partner_org: Organisation) -> dict:
    User = get_user_model()
    people = {
        COORDINATOR: ("Hamid", "Qureshi", Role.CLUSTER_COORDINATOR, {"country_cluster": health}),
        PARTNER: (
            "Nadia",
            "Baloch",
            Role.PARTNER_REPRESENTATIVE,
            {"country_cluster": health, "organisation": partner_org},
        ),
    }
    users = {}
    for username, (first, last, role, scope) in people.items():
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.org"},
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        role_grant(user, role, **scope)
        users[username] = user
    return users


def _organisations() -> dict[str, Organisation]:
    found = {}
    for acronym, name, kind in ORGANISATIONS:
        found[acronym], _ = Organisation.objects.get_or_create(
            name=name, defaults={"acronym": acronym, "kind": kind}
        )
    return found


def _periods(today: datetime.date) -> dict[int, tuple[datetime.date, datetime.date]]:
    """The first round covered the half-year a year ago; the second, the last half-year."""
    return {
        1: (today - datetime.timedelta(days=365), today - datetime.timedelta(days=183)),
        2: (today - datetime.timedelta(days=182), today - datetime.timedelta(days=1)),
    }


def _answer(assessment: SelfAssessment, items: list[FrameworkItem], letters: tuple[str, str]):
    commitments = [i for i in items if i.kind == ItemKind.COMMITMENT]
    principles = [i for i in items if i.kind == ItemKind.PRINCIPLE]
    rows = []
    for group, codes in ((commitments, letters[0]), (principles, letters[1])):
        for item, letter in zip(group, codes, strict=True):
            rating = LETTERS[letter]
            evidence = ""
            if rating == Rating.MET and item.kind == ItemKind.COMMITMENT:
                evidence = "Minutes of the cluster meetings; our reports to the 4W matrix."
            elif item.kind == ItemKind.PRINCIPLE and rating != Rating.NOT_APPLICABLE:
                evidence = (
                    "Joint planning with the district health officers before each distribution."
                )
            rows.append(Answer(assessment=assessment, item=item, rating=rating, evidence=evidence))
    Answer.objects.bulk_create(rows)
    chosen, comment, helps = OBSTACLES[assessment.organisation.acronym]
    ObstacleFaced.objects.bulk_create(
        ObstacleFaced(assessment=assessment, obstacle=code) for code in chosen
    )
    assessment.obstacles_comment, assessment.what_would_help = comment, helps


def _past_round(cluster, framework, period, answers, orgs, coordinator) -> Round:
    start, end = period
    closes_on = end + datetime.timedelta(days=21)
    closed_at = timezone.make_aware(datetime.datetime.combine(closes_on, datetime.time(18)))
    opened_at = closed_at - datetime.timedelta(days=21)
    round_ = Round.objects.create(
        country_cluster=cluster,
        framework=framework,
        period_start=start,
        period_end=end,
        closes_on=closes_on,
        status=RoundStatus.CLOSED,
        opened_by=coordinator,
        opened_at=opened_at,
        closed_at=closed_at,
    )
    RoundEvent.objects.create(round=round_, action="opened", user=coordinator, at=opened_at)
    RoundEvent.objects.create(round=round_, action="closed", user=coordinator, at=closed_at)
    items = list(FrameworkItem.objects.filter(version=framework).order_by("kind", "number"))
    for acronym, letters in answers.items():
        assessment = SelfAssessment.objects.create(round=round_, organisation=orgs[acronym])
        if letters is None:
            continue
        _answer(assessment, items, letters)
        submitted = opened_at + datetime.timedelta(days=7 + len(acronym))
        assessment.status = AssessmentStatus.SUBMITTED
        assessment.submitted_at = assessment.updated_at = submitted
        assessment.save()
    return round_


def _open_round(cluster, framework, period, answers, orgs, coordinator, today) -> Round:
    """Opened through the service (the partners are told), with the answers given so far."""
    start, end = period
    round_ = round_open(
        cluster,
        coordinator,
        framework=framework,
        period_start=start,
        period_end=end,
        closes_on=today + datetime.timedelta(days=10),
        organisations=[orgs[a] for a in answers],
        today=today,
    )
    items = list(FrameworkItem.objects.filter(version=framework).order_by("kind", "number"))
    for assessment in round_.assessments.select_related("organisation"):
        letters = answers[assessment.organisation.acronym]
        if letters is None:
            continue
        _answer(assessment, items, letters)
        assessment.status = AssessmentStatus.SUBMITTED
        assessment.submitted_at = assessment.updated_at = timezone.now()
        assessment.save()
    return round_


def load_demo_commitments(password: str) -> dict:
    """Create whatever part of the commitments demo is missing; returns the demo users by
    user name (`coord-pakistan-health`, `partner-pakistan-ngo`), their password `password`."""
    today = timezone.localdate()
    pakistan = Country.objects.get(code="PAK")
    framework = current_version()
    with transaction.atomic():
        orgs = _organisations()
        clusters = {}
        for code in ANSWERS:
            clusters[code], _ = CountryCluster.objects.get_or_create(
                country=pakistan, global_cluster=GlobalCluster.objects.get(code=code)
            )
            clusters[code].partners.add(*orgs.values())
        users = _users(password, clusters["health"], orgs[PARTNER_ORGANISATION])
        periods = _periods(today)
        for code, rounds in ANSWERS.items():
            cluster = clusters[code]
            # The demo's coordinator is the health cluster's; nutrition's rounds are history.
            coordinator = users[COORDINATOR] if code == "health" else None
            if Round.objects.filter(country_cluster=cluster).exists():
                continue  # loaded before (on another day, its periods were others)
            for number, answers in rounds.items():
                if code == "health" and number == 2:
                    _open_round(
                        cluster, framework, periods[number], answers, orgs, coordinator, today
                    )
                else:
                    _past_round(cluster, framework, periods[number], answers, orgs, coordinator)
        for code, number, commitment, text, owner, due_days in ACTIONS:
            round_ = (
                Round.objects.filter(country_cluster=clusters[code])
                .order_by("period_end", "pk")[number - 1 : number]
                .get()
            )
            ClusterAction.objects.get_or_create(
                round=round_,
                text=text,
                defaults={
                    "item": FrameworkItem.objects.get(
                        version=round_.framework, kind=ItemKind.COMMITMENT, number=commitment
                    ),
                    "owner": owner,
                    "due_on": round_.period_end + datetime.timedelta(days=due_days),
                    "created_by": users[COORDINATOR] if code == "health" else None,
                },
            )
    return users
