"""What only PostgreSQL shows: real concurrency (threads with their own connections) and the
limits it enforces on text. Two coordinators opening a round at once get one round; a partner
submitting while the coordinator closes never writes into a closed round; two reminder ticks
at once tell each person once; text too long or with a NUL is a message, not a crash."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import TestCase
from django.utils import timezone

from clusters.models import Role
from clusters.services import role_grant
from commitments.models import Round, RoundReminder, SelfAssessment
from commitments.selectors.framework import current_version
from commitments.services.picture import action_record
from commitments.services.rounds import remind_rounds, round_close, round_open
from missions.models import Notification
from tests.commitments.factories import (
    coordinator_of,
    items_of,
    make_cluster,
    open_round,
    partner_of,
    submit_through_service,
    today,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def together(*calls) -> list:
    """Run each call in its own thread, released at once; each result or its exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", call())
        except BaseException as error:
            results[index] = ("error", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results


def close_all(cluster) -> None:
    """Set-up between attempts: the cluster's rounds closed, so that another can open."""
    Round.objects.filter(country_cluster=cluster).update(status="closed", closed_at=timezone.now())


@pytest.fixture
def cluster(on_postgres):
    found, _orgs = make_cluster("PAK", "health", partners=3)
    return found


def test_two_coordinators_opening_at_once_open_one_round(cluster):
    first, second = coordinator_of(cluster, "coord-1"), coordinator_of(cluster, "coord-2")

    def opening(user):
        return lambda: round_open(
            cluster,
            user,
            framework=current_version(),
            period_start=today() - datetime.timedelta(days=30),
            period_end=today(),
            closes_on=today() + datetime.timedelta(days=10),
            organisations=cluster.partners.all(),
        )

    for attempt in range(5):
        close_all(cluster)
        results = together(opening(first), opening(second))
        won = [r for r in results if r[0] == "ok"]
        lost = [r for r in results if r[0] == "error"]
        assert len(won) == 1, (attempt, results)
        assert isinstance(lost[0][1], ValidationError) and "open round" in str(lost[0][1])
        assert Round.objects.filter(country_cluster=cluster, status="open").count() == 1


def test_submitting_while_the_round_closes_never_writes_into_a_closed_round(cluster):
    coordinator = coordinator_of(cluster, "coord")
    organisation = cluster.partners.order_by("pk").first()
    partner = partner_of(cluster, organisation, "partner")
    for attempt in range(5):
        close_all(cluster)
        round_ = open_round(cluster, coordinator)
        own = round_.assessments.get(organisation=organisation)
        results = together(
            lambda own=own: submit_through_service(own, partner),
            lambda pk=round_.pk: round_close(pk, coordinator),
        )
        assert results[1][0] == "ok", results
        own.refresh_from_db()
        round_.refresh_from_db()
        if results[0][0] == "ok":
            assert own.is_submitted and own.submitted_at <= round_.closed_at, attempt
        else:
            assert "closed" in str(results[0][1])
            assert not own.is_submitted and not own.answers.exists(), attempt


def test_two_reminder_ticks_at_once_tell_each_person_once(cluster):
    coordinator = coordinator_of(cluster, "coord")
    for index, organisation in enumerate(cluster.partners.order_by("pk")):
        partner_of(cluster, organisation, f"partner-{index}")
    open_round(cluster, coordinator, closes_in=5)
    with TestCase.captureOnCommitCallbacks(execute=False):
        results = together(remind_rounds, remind_rounds)
    assert all(r[0] == "ok" for r in results), results
    assert sum(r[1] for r in results) == 3
    assert RoundReminder.objects.count() == 3
    assert Notification.objects.filter(event__contains=":soon:").count() == 3


@pytest.mark.parametrize(("owner", "field"), [("x" * 201, "owner"), ("WHO\x00", "owner")])
def test_text_postgresql_cannot_store_is_refused_with_a_message(cluster, owner, field):
    coordinator = coordinator_of(cluster, "coord")
    round_ = open_round(cluster, coordinator)
    commitment = next(i for i in items_of(round_) if i.kind == "commitment")
    with pytest.raises(ValidationError) as refused:
        action_record(
            round_, coordinator, item=commitment, text="Act.", owner=owner, due_on=today()
        )
    assert field in refused.value.error_dict


def test_the_database_refuses_a_second_assessment_of_an_organisation(cluster):
    from django.db import IntegrityError

    coordinator = coordinator_of(cluster, "coord")
    round_ = open_round(cluster, coordinator)
    with pytest.raises(IntegrityError):
        SelfAssessment.objects.create(round=round_, organisation=cluster.partners.first())


def test_role_rows_are_what_scope_reads(cluster):
    # A partner whose role is revoked sees nothing the next moment (no cached permission).
    from clusters.services import role_revoke
    from commitments.selectors.rounds import rounds_visible_to

    coordinator = coordinator_of(cluster, "coord")
    round_ = open_round(cluster, coordinator)
    partner = UserFactory(username="partner")
    organisation = cluster.partners.first()
    role_grant(
        partner, Role.PARTNER_REPRESENTATIVE, country_cluster=cluster, organisation=organisation
    )
    assert rounds_visible_to(partner).filter(pk=round_.pk).exists()
    role_revoke(
        partner, Role.PARTNER_REPRESENTATIVE, country_cluster=cluster, organisation=organisation
    )
    partner = type(partner).objects.get(pk=partner.pk)
    assert not rounds_visible_to(partner).exists()
