"""The self-assessment: a partner's representative saves a draft as often as they like and
submits it once. Refused once the round has closed (by the coordinator, or its closing date
passing) or the assessment was submitted: the round's row is locked while answers are
written, so closing and saving take turns and nothing reaches a closed round.

Evidence files are checked by their content (formats.uploads) and stored under random names
in private media; the user's file name is kept only to offer it back on download.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from commitments.models import (
    Answer,
    AssessmentStatus,
    ItemKind,
    Obstacle,
    ObstacleFaced,
    Rating,
    SelfAssessment,
)
from commitments.selectors.assessment import assessments_visible_to, may_answer
from commitments.selectors.framework import assessed_items
from commitments.selectors.rounds import round_for_update
from commitments.services.checks import clean_text
from formats.uploads import UploadRejected, check_upload, clean_filename


class AssessmentLocked(ValidationError):
    """The self-assessment can no longer change: submitted, or its round closed."""


@dataclass(frozen=True)
class AnswerInput:
    """What the form sends for one item: a rating (blank: not yet), the evidence (for a
    principle, an example), and for a commitment an optional file, or asking to remove it."""

    rating: str = ""
    evidence: str = ""
    file: UploadedFile | None = None
    remove_file: bool = False


def lock_reason(assessment: SelfAssessment, today: datetime.date | None = None) -> str:
    """Why the assessment cannot change now ("" when it can)."""
    if assessment.status == AssessmentStatus.SUBMITTED:
        return _("This self-assessment is submitted: its answers can no longer change.")
    if not assessment.round.accepts_answers(today):
        return _("The round closed on %(date)s: its answers can no longer change.") % {
            "date": date_format(assessment.round.closes_on, "j F Y")
        }
    return ""


def _check(
    items: dict,
    answers: dict[int, AnswerInput],
    obstacles: list[str],
    texts: dict[str, str],
    submit: bool,
) -> tuple[dict, dict[int, AnswerInput], dict[str, str], dict]:
    errors: dict[str, str] = {}
    cleaned: dict[int, AnswerInput] = {}
    kinds = {}
    for pk, given in answers.items():
        item = items.get(pk)
        if item is None:
            errors["__all__"] = _("The form does not match this round's framework: reload it.")
            continue
        if given.rating and given.rating not in Rating.values:
            errors[f"rating_{pk}"] = _("Choose one of the answers.")
        evidence = clean_text(given.evidence, errors, f"evidence_{pk}")
        upload = given.file if item.kind == ItemKind.COMMITMENT else None
        if upload is not None:
            try:
                kinds[pk] = check_upload(upload, upload.size, settings.ICSM_ATTACHMENT_MAX_BYTES)
            except UploadRejected as rejected:
                errors[f"file_{pk}"] = rejected.message
        cleaned[pk] = AnswerInput(given.rating, evidence, upload, given.remove_file)
    unknown = set(obstacles) - set(Obstacle.values)
    if unknown:
        errors["obstacles"] = _("Choose obstacles from the list.")
    clean_texts = {name: clean_text(value, errors, name) for name, value in texts.items()}
    if submit:
        for pk in items:
            if not cleaned.get(pk, AnswerInput()).rating:
                errors.setdefault(
                    f"rating_{pk}",
                    _("Answer this before submitting (“not applicable” is an answer)."),
                )
        if Obstacle.OTHER in obstacles and not clean_texts.get("obstacles_comment"):
            errors.setdefault("obstacles_comment", _("Say what the other obstacle is."))
    return errors, cleaned, clean_texts, kinds


def assessment_save(
    assessment: SelfAssessment | int,
    user,
    *,
    answers: dict[int, AnswerInput],
    obstacles: Iterable[str] = (),
    obstacles_comment: str = "",
    what_would_help: str = "",
    submit: bool = False,
    today: datetime.date | None = None,
) -> SelfAssessment:
    """Save the organisation's answers as a draft, or submit them (`submit`: every item
    answered; final). Raises Http404 outside the user's scope, PermissionDenied for a
    coordinator (who reads but does not answer), AssessmentLocked once it cannot change, and
    ValidationError by field (`rating_<item pk>`, `evidence_<pk>`, `file_<pk>`, `obstacles`,
    `obstacles_comment`, `what_would_help`) with nothing written."""
    today = today or timezone.localdate()
    pk = assessment.pk if isinstance(assessment, SelfAssessment) else assessment
    seen = assessments_visible_to(user).select_related("round").filter(pk=pk).first()
    if seen is None:
        raise Http404("No such self-assessment.")
    if not may_answer(user, seen):
        raise PermissionDenied(_("Only the organisation's representatives answer for it."))
    if reason := lock_reason(seen, today):
        raise AssessmentLocked(reason)
    items = {item.pk: item for item in assessed_items(seen.round.framework_id)}
    obstacles = sorted(set(obstacles))
    errors, answers, texts, kinds = _check(
        items,
        answers,
        obstacles,
        {"obstacles_comment": obstacles_comment, "what_would_help": what_would_help},
        submit,
    )
    if errors:
        raise ValidationError(errors)

    stored, replaced = [], []
    try:
        with transaction.atomic():
            round_ = round_for_update(user, seen.round_id)
            current = SelfAssessment.objects.select_for_update().get(pk=pk)
            current.round = round_
            if reason := lock_reason(current, today):
                raise AssessmentLocked(reason)
            _write_answers(current, answers, kinds, stored, replaced)
            chosen = set(obstacles)
            current.obstacles.exclude(obstacle__in=chosen).delete()
            held = set(current.obstacles.values_list("obstacle", flat=True))
            ObstacleFaced.objects.bulk_create(
                ObstacleFaced(assessment=current, obstacle=code) for code in sorted(chosen - held)
            )
            now = timezone.now()
            current.obstacles_comment = texts["obstacles_comment"]
            current.what_would_help = texts["what_would_help"]
            current.updated_at, current.updated_by = now, user
            fields = ["obstacles_comment", "what_would_help", "updated_at", "updated_by"]
            if submit:
                current.status = AssessmentStatus.SUBMITTED
                current.submitted_at, current.submitted_by = now, user
                fields += ["status", "submitted_at", "submitted_by"]
            current.save(update_fields=fields)
            # The files replaced go once the new answers are committed (never before).
            storage = Answer._meta.get_field("file").storage
            for name in replaced:
                transaction.on_commit(partial(storage.delete, name))
    except Exception:
        for file in stored:
            file.delete(save=False)
        raise
    return current


def _write_answers(
    assessment: SelfAssessment,
    answers: dict[int, AnswerInput],
    kinds: dict,
    stored: list,
    replaced: list[str],
) -> None:
    """Write the answers in two statements (new ones, changed ones); `stored` gets the files
    saved now (removed again if the transaction fails), `replaced` the names of those they
    replace."""
    existing = {a.item_id: a for a in Answer.objects.filter(assessment=assessment)}
    new, changed = [], []
    for item_pk, given in answers.items():
        answer = existing.get(item_pk)
        if answer is None:
            if not (given.rating or given.evidence or given.file):
                continue
            answer = Answer(assessment=assessment, item_id=item_pk)
            new.append(answer)
        else:
            changed.append(answer)
        answer.rating, answer.evidence = given.rating, given.evidence
        if (given.file is not None or given.remove_file) and answer.file:
            replaced.append(answer.file.name)
            answer.file, answer.file_name, answer.file_type, answer.file_size = "", "", "", None
        if given.file is not None:
            answer.file_name = clean_filename(given.file.name or "")
            answer.file_type = kinds[item_pk].content_type
            answer.file_size = given.file.size
            answer.file.save(answer.file_name, given.file, save=False)
            stored.append(answer.file)
    Answer.objects.bulk_create(new)
    if changed:
        Answer.objects.bulk_update(
            changed, ["rating", "evidence", "file", "file_name", "file_type", "file_size"]
        )
