"""Set-up for the commitments tests: clusters with partners and the people who act in them,
rounds opened through the service, answers written directly (set-up, not behaviour) or
through the service where the test is about it."""

from __future__ import annotations

import datetime

from django.test import TestCase
from django.utils import timezone

from clusters.models import Country, CountryCluster, GlobalCluster, Organisation, Role
from clusters.services import role_grant
from commitments.models import (
    Answer,
    AssessmentStatus,
    FrameworkItem,
    ItemKind,
    ObstacleFaced,
    Rating,
    Round,
    SelfAssessment,
)
from commitments.selectors.framework import current_version
from commitments.services.assessment import AnswerInput, assessment_save
from commitments.services.rounds import round_open
from tests.factories import UserFactory

LETTERS = {"M": Rating.MET, "P": Rating.PARTLY, "N": Rating.NOT_MET, "X": Rating.NOT_APPLICABLE}
ALL_MET = ("M" * 11, "M" * 5)


def today() -> datetime.date:
    return timezone.localdate()


def make_cluster(country: str = "PAK", cluster: str = "health", partners: int = 4):
    """A country cluster with `partners` organisations (created for it)."""
    found, _ = CountryCluster.objects.get_or_create(
        country=Country.objects.get(code=country),
        global_cluster=GlobalCluster.objects.get(code=cluster),
    )
    orgs = [
        Organisation.objects.get_or_create(
            name=f"{country} {cluster} partner {n}", defaults={"acronym": "", "kind": "ngo"}
        )[0]
        for n in range(1, partners + 1)
    ]
    found.partners.add(*orgs)
    return found, orgs


def coordinator_of(cluster: CountryCluster, username: str):
    user = UserFactory(username=username)
    role_grant(user, Role.CLUSTER_COORDINATOR, country_cluster=cluster)
    return user


def partner_of(cluster: CountryCluster, organisation: Organisation, username: str):
    user = UserFactory(username=username)
    role_grant(
        user, Role.PARTNER_REPRESENTATIVE, country_cluster=cluster, organisation=organisation
    )
    return user


def open_round(
    cluster: CountryCluster,
    coordinator,
    *,
    organisations=None,
    closes_in: int = 14,
    on: datetime.date | None = None,
) -> Round:
    """A round opened by the coordinator through the service, its notices written."""
    on = on or today()
    with TestCase.captureOnCommitCallbacks(execute=True):
        return round_open(
            cluster,
            coordinator,
            framework=current_version(),
            period_start=on - datetime.timedelta(days=180),
            period_end=on,
            closes_on=on + datetime.timedelta(days=closes_in),
            organisations=organisations if organisations is not None else cluster.partners.all(),
            today=on,
        )


def items_of(round_: Round) -> list[FrameworkItem]:
    return list(
        FrameworkItem.objects.filter(
            version=round_.framework_id, kind__in=(ItemKind.COMMITMENT, ItemKind.PRINCIPLE)
        ).order_by("kind", "number")
    )


def fill(
    assessment: SelfAssessment,
    letters: tuple[str, str] = ALL_MET,
    *,
    obstacles=(),
    submit: bool = True,
) -> SelfAssessment:
    """Write the answers directly: one letter per commitment, then per principle."""
    items = items_of(assessment.round)
    commitments = [i for i in items if i.kind == ItemKind.COMMITMENT]
    principles = [i for i in items if i.kind == ItemKind.PRINCIPLE]
    rows = []
    for group, codes in ((commitments, letters[0]), (principles, letters[1])):
        for item, letter in zip(group, codes, strict=True):
            rows.append(Answer(assessment=assessment, item=item, rating=LETTERS[letter]))
    Answer.objects.bulk_create(rows)
    ObstacleFaced.objects.bulk_create(
        ObstacleFaced(assessment=assessment, obstacle=code) for code in obstacles
    )
    if submit:
        assessment.status = AssessmentStatus.SUBMITTED
        assessment.submitted_at = timezone.now()
        assessment.save()
    return assessment


def fill_round(round_: Round, answers: list[tuple[str, str]], **kwargs) -> list[SelfAssessment]:
    """The round's assessments, in organisation order, each filled with the next answers."""
    assessments = list(round_.assessments.order_by("organisation__name"))
    for assessment, letters in zip(assessments, answers, strict=False):
        fill(assessment, letters, **kwargs)
    return assessments


def inputs(round_: Round, letters: tuple[str, str] = ALL_MET, **evidence) -> dict:
    """The service's answers for every item, from letters ("" for a letter "-": unanswered)."""
    items = items_of(round_)
    codes = letters[0] + letters[1]
    return {
        item.pk: AnswerInput(
            rating="" if code == "-" else LETTERS[code], evidence=evidence.get(item.code, "")
        )
        for item, code in zip(items, codes, strict=True)
    }


def submit_through_service(assessment: SelfAssessment, user, letters=ALL_MET, **kwargs):
    return assessment_save(
        assessment, user, answers=inputs(assessment.round, letters), submit=True, **kwargs
    )
