"""A partner's self-assessment: the form while it can change, its answers once submitted
(and, for the cluster's coordinator, always read-only); its evidence files."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clusters.files import private_file_response
from clusters.form_errors import show_on_form
from commitments.forms.assessment import AssessmentForm
from commitments.models import ItemKind, Obstacle
from commitments.selectors.assessment import (
    answers_by_item,
    get_answer_file_for,
    get_assessment_for,
    may_answer,
    obstacles_of,
)
from commitments.selectors.framework import assessed_items
from commitments.services.assessment import AssessmentLocked, assessment_save, lock_reason
from formats.uploads import download_name


@login_required
def assessment(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows; POST saves the draft, or submits it when the "submit" button was used."""
    found = get_assessment_for(request.user, pk)
    answering = may_answer(request.user, found)
    items = list(assessed_items(found.round.framework_id))
    # The coordinator reads an organisation's answers once it has submitted them.
    readable = answering or found.is_submitted
    answers = answers_by_item(found) if readable else {}
    obstacles = obstacles_of(found) if readable else []
    locked = lock_reason(found)
    form, error, status = None, "", 200
    if request.method == "POST":
        if not answering:
            raise PermissionDenied(_("Only the organisation's representatives answer for it."))
        form = AssessmentForm(request.POST, request.FILES, items=items, answers=answers)
        submit = "submit" in request.POST
        if form.is_valid():
            try:
                assessment_save(
                    found,
                    request.user,
                    answers=form.answer_inputs(),
                    obstacles=form.cleaned_data["obstacles"],
                    obstacles_comment=form.cleaned_data["obstacles_comment"],
                    what_would_help=form.cleaned_data["what_would_help"],
                    submit=submit,
                )
            except AssessmentLocked as refused:
                error, status, locked = " ".join(refused.messages), 409, " ".join(refused.messages)
                form = None
            except ValidationError as refused:
                show_on_form(form, refused)
            else:
                if submit:
                    messages.success(request, _("Your self-assessment is submitted. Thank you."))
                else:
                    messages.success(request, _("Your draft is saved."))
                return redirect("commitments:assessment", pk=found.pk)
        if status == 200:
            status = 400
            error = _("Nothing was saved: correct what is marked below.")
    elif answering and not locked:
        form = AssessmentForm(items=items, answers=answers, obstacles=obstacles)
    labels = dict(Obstacle.choices)
    return render(
        request,
        "commitments/assessment.html",
        {
            "assessment": found,
            "round": found.round,
            "form": form,
            "answering": answering,
            "readable": readable,
            "locked": locked,
            "error": error,
            "commitments": [
                (item, answers.get(item.pk)) for item in items if item.kind == ItemKind.COMMITMENT
            ],
            "principles": [
                (item, answers.get(item.pk)) for item in items if item.kind == ItemKind.PRINCIPLE
            ],
            "obstacles": [labels.get(code, code) for code in obstacles],
        },
        status=status,
    )


@login_required
def evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """An answer's evidence file, to whoever may read the answer, as a download."""
    answer = get_answer_file_for(request.user, pk)
    # An answer is its organisation's, saved by any of its representatives: no uploader of
    # its own, so every download is in the audit log.
    return private_file_response(
        request,
        answer.file,
        download_name(answer.file_name, answer.file_type),
        answer.file_type,
        uploader_id=None,
    )
