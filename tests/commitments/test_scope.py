"""Who sees what, as a matrix: every commitments page × who × own/other scope.

200 (or the POST's own answer) for who may; 403 with the reason for who sees the round but
may not act; 404 for who may not see it at all (a partner of another organisation does not
see this one's answers; HCSS and the focal points see aggregates, never one answer); the
login page for anonymous users. A refused POST changes nothing.
"""

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from clusters.models import Country, GlobalCluster, Role
from clusters.services import role_grant
from commitments.models import Answer, ClusterAction, Round, RoundStatus, SelfAssessment
from commitments.services.assessment import AnswerInput, assessment_save
from tests.commitments.conftest import Side
from tests.commitments.factories import (
    coordinator_of,
    fill,
    items_of,
    make_cluster,
    open_round,
    partner_of,
)
from tests.factories import UserFactory

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Place:
    round: Round
    own: SelfAssessment  # the represented organisation's, a draft with an evidence file
    answer: Answer


def build(side) -> Place:
    round_ = open_round(side.cluster, side.coordinator)
    own = round_.assessments.get(organisation=side.organisations[0])
    item = next(i for i in items_of(round_) if i.kind == "commitment")
    assessment_save(
        own,
        side.partner,
        answers={
            item.pk: AnswerInput(
                rating="met",
                file=SimpleUploadedFile("minutes.pdf", PDF, content_type="application/pdf"),
            )
        },
    )
    for other in round_.assessments.exclude(pk=own.pk):
        fill(other)
    return Place(round_, own, Answer.objects.get(assessment=own, item=item))


def side(country: str, suffix: str) -> Side:
    cluster, orgs = make_cluster(country, "health")
    return Side(
        cluster,
        orgs,
        coordinator_of(cluster, f"coord-{suffix}"),
        partner_of(cluster, orgs[0], f"partner-{suffix}"),
    )


def user(username: str, role: str | None = None, **scope):
    found = UserFactory(username=username)
    if role:
        role_grant(found, role, **scope)
    return found


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module, in a transaction rolled back at its end; each test runs in
    a savepoint of it."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        with transaction.atomic():
            pakistan, nepal = side("PAK", "pak"), side("NPL", "npl")
            health = GlobalCluster.objects.get(code="health")
            wash = GlobalCluster.objects.get(code="wash")
            people = {
                "anonymous": None,
                "coordinator": pakistan.coordinator,
                "partner": pakistan.partner,
                "partner_of_another_organisation": partner_of(
                    pakistan.cluster, pakistan.organisations[1], "partner-pak-2"
                ),
                "coordinator_elsewhere": nepal.coordinator,
                "partner_elsewhere": nepal.partner,
                "focal_health": user(
                    "focal-health", Role.CLUSTER_FOCAL_POINT, global_cluster=health
                ),
                "focal_wash": user("focal-wash", Role.CLUSTER_FOCAL_POINT, global_cluster=wash),
                "hcss": user("hcss", Role.HCSS),
                "rc_hc_pakistan": user(
                    "rchc-pak", Role.RC_HC, country=Country.objects.get(code="PAK")
                ),
                "outsider": user("outsider"),
            }
            yield {"own": build(pakistan), "other": build(nepal)}, people, media
            transaction.set_rollback(True)


@pytest.fixture
def places(world, db, settings):
    settings.MEDIA_ROOT = world[2]
    return world[0]


@pytest.fixture
def people(world):
    return world[1]


# What each holds on the round of Pakistan ("own"); on Nepal's ("other") its coordinator and
# partner hold the same. The focal point of health and HCSS see both.
SEES_PICTURE = {"coordinator", "partner", "partner_of_another_organisation", "focal_health", "hcss"}
READS_ANSWERS = {"coordinator", "partner"}
LOOKS_ACROSS = {"focal_health", "focal_wash", "hcss"}
GLOBAL = {"focal_health", "hcss"}
ELSEWHERE = {"coordinator_elsewhere": "coordinator", "partner_elsewhere": "partner"}


def as_in(who: str, scope: str) -> str:
    """Who `who` is on the round of `scope`: Nepal's people are its coordinator and partner
    there, Pakistan's are nobody."""
    if scope != "other" or who in GLOBAL:
        return "" if who in ELSEWHERE else who
    return ELSEWHERE.get(who, "")


def sees(who, scope, audience):
    return as_in(who, scope) in audience


def page(audience):
    return lambda who, scope: 200 if sees(who, scope, audience) else 404


def action(ok, audience=SEES_PICTURE, actors=frozenset({"coordinator"})):
    def rule(who, scope):
        if not sees(who, scope, audience):
            return 404
        return ok if as_in(who, scope) in actors else 403

    return rule


def everyone(who, scope):
    return 200


ROWS = {
    # name: (method, url args from a Place, rule, data)
    "commitments:index": ("GET", None, everyone, {}),
    "commitments:framework": ("GET", None, everyone, {}),
    "commitments:across": ("GET", None, lambda who, scope: 200 if who in LOOKS_ACROSS else 404, {}),
    "commitments:cluster": ("GET", lambda p: [p.round.country_cluster_id], page(SEES_PICTURE), {}),
    "commitments:round": ("GET", lambda p: [p.round.pk], page(SEES_PICTURE), {}),
    "commitments:round_csv": ("GET", lambda p: [p.round.pk], page(SEES_PICTURE), {}),
    "commitments:round_xlsx": ("GET", lambda p: [p.round.pk], page(SEES_PICTURE), {}),
    "commitments:round_new": ("GET", lambda p: [p.round.country_cluster_id], action(200), {}),
    "commitments:round_close": ("POST", lambda p: [p.round.pk], action(302), {}),
    "commitments:action_new": ("POST", lambda p: [p.round.pk], action(400), {}),
    "commitments:assessment": ("GET", lambda p: [p.own.pk], page(READS_ANSWERS), {}),
    # The evidence of a draft: its coordinator reads it once the organisation submits.
    "commitments:evidence": ("GET", lambda p: [p.answer.pk], page({"partner"}), {}),
}
POSTS = {
    # Saving the draft: the partner gets through; its coordinator reads but does not answer.
    "commitments:assessment": (
        lambda p: [p.own.pk],
        action(302, audience=READS_ANSWERS, actors={"partner"}),
        {"save": "1"},
    ),
    # Opening a round needs the form; the coordinator gets it back (another round is open).
    "commitments:round_new": (lambda p: [p.round.country_cluster_id], action(400), {}),
}

CASES = [
    (name, method, who, scope)
    for name, (method, args, _rule, _data) in ROWS.items()
    for who in [
        "anonymous",
        "coordinator",
        "partner",
        "partner_of_another_organisation",
        "coordinator_elsewhere",
        "partner_elsewhere",
        "focal_health",
        "focal_wash",
        "hcss",
        "rc_hc_pakistan",
        "outsider",
    ]
    for scope in (["own", "other"] if args else ["-"])
] + [
    (name, "POST", who, scope)
    for name in POSTS
    for who in ["coordinator", "partner", "partner_of_another_organisation", "hcss", "outsider"]
    for scope in ("own", "other")
]


def state():
    return (
        list(Round.objects.order_by("pk").values_list("status", "closed_at")),
        list(SelfAssessment.objects.order_by("pk").values_list("status", "updated_at")),
        ClusterAction.objects.count(),
    )


@pytest.mark.parametrize(("name", "method", "who", "scope"), CASES)
def test_scope_matrix(client, places, people, name, method, who, scope):
    if method == "POST" and name in POSTS:
        args, rule, data = POSTS[name]
    else:
        _method, args, rule, data = ROWS[name]
    url = reverse(name, args=args(places[scope]) if args else [])
    user = people[who]
    if user is not None:
        client.force_login(user)
    before = state()
    response = client.get(url) if method == "GET" else client.post(url, data)
    if user is None:
        assert response.status_code == 302 and response["Location"].startswith("/login/")
        return
    expected = rule(who, scope)
    assert response.status_code == expected, (name, who, scope)
    if expected == 403:
        assert b"You may not do this" in response.content
        assert b"Only the " in response.content  # the reason, in plain words
    if expected in (403, 404, 400):
        assert state() == before


def test_the_coordinator_closing_changes_the_round(client, places, people):
    client.force_login(people["coordinator"])
    client.post(reverse("commitments:round_close", args=[places["own"].round.pk]))
    assert Round.objects.get(pk=places["own"].round.pk).status == RoundStatus.CLOSED


def test_hcss_and_focal_points_never_read_one_answer(client, places, people):
    for who in ("hcss", "focal_health"):
        client.force_login(people[who])
        response = client.get(reverse("commitments:round", args=[places["own"].round.pk]))
        assert response.status_code == 200
        assert b"/commitments/assessments/" not in response.content
