"""Opening and closing rounds: only the coordinator, one open round per cluster, the partners
told once, each change logged, the closing date closing it."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.test import TestCase

from commitments.models import Round, RoundEvent, RoundStatus, SelfAssessment
from commitments.selectors.framework import current_version
from commitments.services.rounds import round_close, round_open, rounds_close_due
from missions.models import Notification
from tests.commitments.factories import open_round, partner_of, today


def opening(cluster, user, **overrides):
    fields = {
        "framework": current_version(),
        "period_start": today() - datetime.timedelta(days=180),
        "period_end": today(),
        "closes_on": today() + datetime.timedelta(days=14),
        "organisations": cluster.partners.all(),
    }
    fields.update(overrides)
    return round_open(cluster, user, **fields)


def test_the_coordinator_opens_a_round_with_a_draft_for_each_organisation_invited(pakistan):
    round_ = open_round(pakistan.cluster, pakistan.coordinator)
    assert round_.status == RoundStatus.OPEN
    assert set(round_.assessments.values_list("organisation", flat=True)) == {
        o.pk for o in pakistan.organisations
    }
    assert set(round_.assessments.values_list("status", flat=True)) == {"draft"}
    event = RoundEvent.objects.get(round=round_)
    assert (event.action, event.user) == ("opened", pakistan.coordinator)


def test_opening_tells_each_representative_of_an_invited_organisation_once(pakistan, mailoutbox):
    second = partner_of(pakistan.cluster, pakistan.organisations[1], "partner-pak-2")
    uninvited = partner_of(pakistan.cluster, pakistan.organisations[3], "partner-pak-4")
    with TestCase.captureOnCommitCallbacks(execute=True):
        round_ = opening(
            pakistan.cluster, pakistan.coordinator, organisations=pakistan.organisations[:3]
        )
    told = Notification.objects.filter(event=f"commitments:round:{round_.pk}:opened")
    assert set(told.values_list("user", flat=True)) == {pakistan.partner.pk, second.pk}
    assert uninvited.pk not in told.values_list("user", flat=True)
    notice = told.get(user=pakistan.partner)
    assert "Minimum Commitments" in notice.subject
    assert "/commitments/assessments/" in notice.body
    assert sorted(m.to[0] for m in mailoutbox) == sorted([pakistan.partner.email, second.email])


def test_each_representative_is_told_in_their_language(pakistan):
    from clusters.models import LanguagePreference

    second = partner_of(pakistan.cluster, pakistan.organisations[0], "partner-pak-fr")
    LanguagePreference.objects.create(user=second, language="fr")
    with TestCase.captureOnCommitCallbacks(execute=True):
        round_ = opening(
            pakistan.cluster, pakistan.coordinator, organisations=pakistan.organisations[:1]
        )
    told = Notification.objects.filter(event=f"commitments:round:{round_.pk}:opened")
    english, french = told.get(user=pakistan.partner), told.get(user=second)
    assert "Minimum Commitments" in english.subject
    assert "Minimum Commitments" not in french.subject
    assert "Santé" in french.subject  # the cluster's name in French too


def test_a_partner_sees_the_cluster_but_may_not_open_a_round(pakistan):
    with pytest.raises(PermissionDenied, match="Only the cluster's coordinator opens a round"):
        opening(pakistan.cluster, pakistan.partner)
    assert not Round.objects.exists()


def test_the_coordinator_of_another_country_does_not_find_the_cluster(pakistan, nepal):
    with pytest.raises(Http404):
        opening(pakistan.cluster, nepal.coordinator)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"closes_on": today() - datetime.timedelta(days=1)}, "closes_on"),
        ({"closes_on": today() + datetime.timedelta(days=400)}, "closes_on"),
        ({"closes_on": None}, "closes_on"),
        ({"period_end": today() - datetime.timedelta(days=365)}, "period_end"),
        ({"organisations": []}, "organisations"),
        ({"framework": None}, "framework"),
    ],
)
def test_bad_input_is_refused_at_its_field_and_nothing_is_opened(pakistan, overrides, field):
    with pytest.raises(ValidationError) as refused:
        opening(pakistan.cluster, pakistan.coordinator, **overrides)
    assert field in refused.value.error_dict
    assert not Round.objects.exists()


def test_only_the_clusters_partners_can_be_invited(pakistan, nepal):
    with pytest.raises(ValidationError) as refused:
        opening(pakistan.cluster, pakistan.coordinator, organisations=[nepal.organisations[0]])
    assert "organisations" in refused.value.error_dict


def test_one_open_round_per_cluster(pakistan):
    open_round(pakistan.cluster, pakistan.coordinator)
    with pytest.raises(ValidationError, match="open round already"):
        opening(pakistan.cluster, pakistan.coordinator)
    assert Round.objects.count() == 1


def test_the_database_refuses_a_second_open_round(pakistan):
    first = open_round(pakistan.cluster, pakistan.coordinator)
    with pytest.raises(IntegrityError):
        Round.objects.create(
            country_cluster=pakistan.cluster,
            framework=first.framework,
            period_start=first.period_start,
            period_end=first.period_end,
            closes_on=first.closes_on,
        )


def test_a_round_past_its_date_is_closed_before_a_new_one_opens(pakistan):
    old = open_round(
        pakistan.cluster, pakistan.coordinator, on=today() - datetime.timedelta(days=30)
    )
    new = opening(pakistan.cluster, pakistan.coordinator)
    old.refresh_from_db()
    assert old.status == RoundStatus.CLOSED and new.status == RoundStatus.OPEN


def test_the_coordinator_closes_the_round_and_it_is_logged(pakistan):
    round_ = open_round(pakistan.cluster, pakistan.coordinator)
    round_close(round_, pakistan.coordinator, "All who could have answered.")
    round_.refresh_from_db()
    assert round_.status == RoundStatus.CLOSED and round_.closed_at
    closed = round_.events.get(action="closed")
    assert (closed.user, closed.comment) == (pakistan.coordinator, "All who could have answered.")
    with pytest.raises(ValidationError, match="closed already"):
        round_close(round_, pakistan.coordinator)


def test_a_partner_may_not_close_the_round(pakistan):
    round_ = open_round(pakistan.cluster, pakistan.coordinator)
    with pytest.raises(PermissionDenied):
        round_close(round_, pakistan.partner)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.OPEN


def test_the_tick_closes_rounds_whose_date_has_passed_once(pakistan, nepal):
    due = open_round(pakistan.cluster, pakistan.coordinator, closes_in=3)
    later = open_round(nepal.cluster, nepal.coordinator, closes_in=10)
    assert rounds_close_due(today() + datetime.timedelta(days=3)) == 0  # its last day
    assert rounds_close_due(today() + datetime.timedelta(days=4)) == 1
    assert rounds_close_due(today() + datetime.timedelta(days=4)) == 0
    due.refresh_from_db(), later.refresh_from_db()
    assert (due.status, later.status) == (RoundStatus.CLOSED, RoundStatus.OPEN)
    event = due.events.get(action="closed")
    assert event.user is None and "closing date" in event.comment


def test_the_database_holds_one_assessment_per_organisation_and_round(pakistan):
    round_ = open_round(pakistan.cluster, pakistan.coordinator)
    with pytest.raises(IntegrityError):
        SelfAssessment.objects.create(round=round_, organisation=pakistan.organisations[0])
