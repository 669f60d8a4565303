"""The self-assessment: drafts and submitting, evidence checked by content, locked once the
round closes or it is submitted, answered only by the organisation's representatives."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from commitments.models import Answer, AssessmentStatus, ObstacleFaced, SelfAssessment
from commitments.services.assessment import AnswerInput, AssessmentLocked, assessment_save
from commitments.services.rounds import round_close, rounds_close_due
from tests.commitments.factories import (
    inputs,
    items_of,
    open_round,
    submit_through_service,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def round_(pakistan):
    return open_round(pakistan.cluster, pakistan.coordinator)


@pytest.fixture
def own(round_, pakistan) -> SelfAssessment:
    return round_.assessments.get(organisation=pakistan.organisations[0])


def snapshot(assessment: SelfAssessment):
    assessment.refresh_from_db()
    return (
        assessment.status,
        assessment.obstacles_comment,
        sorted(
            Answer.objects.filter(assessment=assessment).values_list("item", "rating", "evidence")
        ),
        sorted(assessment.obstacles.values_list("obstacle", flat=True)),
    )


def test_a_draft_keeps_what_is_answered_so_far(own, pakistan):
    answers = inputs(own.round, ("MP" + "-" * 9, "-" * 5), **{"advocacy": "Not yet."})
    saved = assessment_save(
        own,
        pakistan.partner,
        answers=answers,
        obstacles=["access_language"],
        obstacles_comment="Meetings in English only.",
    )
    assert saved.status == AssessmentStatus.DRAFT and saved.updated_by == pakistan.partner
    ratings = dict(Answer.objects.filter(assessment=own).values_list("item__number", "rating"))
    assert ratings == {1: "met", 2: "partly", 8: ""}
    assert list(own.obstacles.values_list("obstacle", flat=True)) == ["access_language"]


def test_submitting_needs_every_item_answered_and_writes_nothing_otherwise(own, pakistan):
    before = snapshot(own)
    with pytest.raises(ValidationError) as refused:
        assessment_save(
            own, pakistan.partner, answers=inputs(own.round, ("M" * 10 + "-", "M" * 5)), submit=True
        )
    missing = [
        item for item in items_of(own.round) if item.number == 11 and item.kind == "commitment"
    ]
    assert list(refused.value.error_dict) == [f"rating_{missing[0].pk}"]
    assert snapshot(own) == before


def test_not_applicable_is_an_answer(own, pakistan):
    submitted = submit_through_service(own, pakistan.partner, ("X" * 11, "X" * 5))
    assert submitted.status == AssessmentStatus.SUBMITTED and submitted.submitted_at


def test_other_obstacle_needs_a_word_on_what_it_is(own, pakistan):
    with pytest.raises(ValidationError) as refused:
        assessment_save(
            own, pakistan.partner, answers=inputs(own.round), obstacles=["other"], submit=True
        )
    assert "obstacles_comment" in refused.value.error_dict


def test_a_submitted_self_assessment_is_final(own, pakistan):
    submit_through_service(own, pakistan.partner)
    before = snapshot(own)
    with pytest.raises(AssessmentLocked, match="submitted"):
        assessment_save(own, pakistan.partner, answers=inputs(own.round, ("N" * 11, "N" * 5)))
    assert snapshot(own) == before


def test_locked_when_the_coordinator_closes_the_round(own, pakistan):
    assessment_save(own, pakistan.partner, answers=inputs(own.round, ("M" + "-" * 10, "-" * 5)))
    round_close(own.round, pakistan.coordinator)
    before = snapshot(own)
    with pytest.raises(AssessmentLocked, match="closed"):
        submit_through_service(own, pakistan.partner)
    assert snapshot(own) == before


def test_locked_from_the_day_after_the_closing_date_even_before_the_tick(own, pakistan):
    after = own.round.closes_on + datetime.timedelta(days=1)
    with pytest.raises(AssessmentLocked):
        submit_through_service(own, pakistan.partner, today=after)
    # On the closing day itself, answers are still taken.
    submit_through_service(own, pakistan.partner, today=own.round.closes_on)
    own.refresh_from_db()
    assert own.is_submitted


def test_locked_after_the_tick_closed_it(own, pakistan):
    rounds_close_due(own.round.closes_on + datetime.timedelta(days=1))
    with pytest.raises(AssessmentLocked):
        submit_through_service(own, pakistan.partner)


def test_the_coordinator_reads_but_does_not_answer(own, pakistan):
    with pytest.raises(PermissionDenied):
        submit_through_service(own, pakistan.coordinator)
    assert not Answer.objects.filter(assessment=own).exists()


def test_another_organisation_of_the_same_cluster_is_not_found(round_, pakistan):
    other = round_.assessments.get(organisation=pakistan.organisations[1])
    with pytest.raises(Http404):
        submit_through_service(other, pakistan.partner)


def test_a_partner_of_another_country_does_not_find_it(own, nepal):
    with pytest.raises(Http404):
        submit_through_service(own, nepal.partner)


def commitment(round_, number=1):
    return next(i for i in items_of(round_) if i.kind == "commitment" and i.number == number)


def test_evidence_file_is_stored_under_a_random_name(own, pakistan):
    item = commitment(own.round)
    upload = SimpleUploadedFile("Minutes of the cluster.pdf", PDF, content_type="application/pdf")
    answers = inputs(own.round)
    answers[item.pk] = AnswerInput(rating="met", evidence="Minutes.", file=upload)
    assessment_save(own, pakistan.partner, answers=answers)
    answer = Answer.objects.get(assessment=own, item=item)
    assert answer.file_name == "Minutes of the cluster.pdf"
    assert answer.file_type == "application/pdf"
    assert "Minutes" not in answer.file.name and answer.file.name.startswith("commitments/")


def test_a_file_that_is_not_what_it_claims_is_refused_at_its_field(own, pakistan):
    item = commitment(own.round)
    fake = SimpleUploadedFile(
        "evidence.pdf", b"MZ this is a program", content_type="application/pdf"
    )
    answers = inputs(own.round)
    answers[item.pk] = AnswerInput(rating="met", file=fake)
    before = snapshot(own)
    with pytest.raises(ValidationError) as refused:
        assessment_save(own, pakistan.partner, answers=answers)
    assert "whatever its name says" in refused.value.error_dict[f"file_{item.pk}"][0].message
    assert snapshot(own) == before


def test_replacing_and_removing_a_file(own, pakistan, settings):
    item = commitment(own.round)
    first = SimpleUploadedFile("first.pdf", PDF, content_type="application/pdf")
    answers = {item.pk: AnswerInput(rating="met", file=first)}
    from django.test import TestCase

    assessment_save(own, pakistan.partner, answers=answers)
    stored = Answer.objects.get(assessment=own, item=item).file.name
    with TestCase.captureOnCommitCallbacks(execute=True):
        assessment_save(
            own, pakistan.partner, answers={item.pk: AnswerInput(rating="met", remove_file=True)}
        )
    answer = Answer.objects.get(assessment=own, item=item)
    assert not answer.file and not answer.file_name
    assert not (settings.MEDIA_ROOT / stored).exists()


@pytest.mark.parametrize("text", ["x" * 5001, "A NUL \x00 character"])
def test_text_that_does_not_fit_is_refused_with_a_clear_message(own, pakistan, text):
    with pytest.raises(ValidationError) as refused:
        assessment_save(own, pakistan.partner, answers={}, what_would_help=text)
    assert "what_would_help" in refused.value.error_dict


def test_the_obstacles_chosen_replace_the_earlier_ones(own, pakistan):
    assessment_save(own, pakistan.partner, answers={}, obstacles=["capacity", "access_location"])
    assessment_save(own, pakistan.partner, answers={}, obstacles=["access_location", "leadership"])
    assert sorted(
        ObstacleFaced.objects.filter(assessment=own).values_list("obstacle", flat=True)
    ) == [
        "access_location",
        "leadership",
    ]


def test_the_coordinator_reads_the_answers_once_submitted(client, own, pakistan):
    from django.urls import reverse

    assessment_save(
        own,
        pakistan.partner,
        answers=inputs(own.round, ("M" + "-" * 10, "-" * 5)),
        what_would_help="A draft thought.",
    )
    client.force_login(pakistan.coordinator)
    url = reverse("commitments:assessment", args=[own.pk])
    assert b"A draft thought." not in client.get(url).content
    submit_through_service(own, pakistan.partner, what_would_help="Sent.")
    assert b"Sent." in client.get(url).content
