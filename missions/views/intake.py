"""Request intake on the web: the RC/HC office's form, its documents, the HCT's endorsement
and comments. Thin: each view parses the form, calls a service and renders.

Out of scope, or a form's page that is not the user's, answers 404, as everywhere else; a
POST by someone who sees the request but may not do what it asks is refused (403) with a
message saying so.
"""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clusters.files import private_file_response
from clusters.form_errors import errors_onto, show_on_form
from formats.uploads import download_name
from missions.forms.intake import CommentForm, EndorsementForm, RequestForm
from missions.models import Mission
from missions.selectors.missions import get_mission_for
from missions.services.intake import (
    MissionChanged,
    RequestNotEditable,
    attachment_add,
    attachment_delete,
    comment_add,
    mission_endorse,
    mission_request_create,
    mission_update_request,
    mission_version,
    request_countries,
    request_editable_by,
)
from missions.services.mission import mission_transition
from missions.views.detail import render_detail
from missions.workflow import REQUEST_STATES, MissionNotFound, Status, TransitionError, holds


def _render_form(
    request: HttpRequest,
    form: RequestForm,
    mission: Mission | None,
    *,
    checklist: list[dict] | None = None,
    saved: bool = False,
    error: str = "",
    conflict: str = "",
) -> HttpResponse:
    context = {
        "form": form,
        "mission": mission,
        "sections": form.sections(),
        "attachments": list(mission.attachments.all()) if mission else [],
        "checklist": checklist,
        "problems": [] if checklist else form.problems(),
        "saved": saved,
        "error": error,
        "conflict": conflict,
        "mission_url": reverse("missions:detail", args=[mission.pk]) if mission else "",
        "files_dropped": bool(request.FILES) and not saved,
        "action": (
            reverse("missions:edit", args=[mission.pk]) if mission else reverse("missions:new")
        ),
    }
    return render(request, "missions/request_form.html", context)


def _save_and_maybe_submit(
    request: HttpRequest, form: RequestForm, mission: Mission | None
) -> HttpResponse:
    if not form.is_valid():
        return _render_form(request, form, mission)
    try:
        with transaction.atomic():
            if mission is None:
                saved = mission_request_create(request.user, **form.request_fields())
            else:
                saved = mission_update_request(
                    mission,
                    request.user,
                    expected_updated_at=form.version_seen(),
                    **form.request_fields(),
                )
            for field, kind, upload in form.uploads():
                try:
                    attachment_add(saved, request.user, upload, kind)
                except ValidationError as error:
                    form.add_error(field, error.messages)
                    raise
    except MissionNotFound:
        raise Http404("No such mission.") from None
    except RequestNotEditable as error:
        messages.error(request, str(error))
        return redirect("missions:detail", pk=mission.pk)
    except MissionChanged as changed:
        # Saved elsewhere since this form was shown: nothing is overwritten. The form comes
        # back with what was typed, checked from now on against the draft as it is now.
        form.show_version(changed.version)
        mission.refresh_from_db()
        return _render_form(request, form, mission, conflict=changed.messages[0])
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            show_on_form(form, error)
        return _render_form(request, form, mission)

    if request.POST.get("action") != "submit":
        messages.success(
            request, _("Your draft is saved. It goes to OCHA only when you submit it.")
        )
        return redirect("missions:edit", pk=saved.pk)
    try:
        mission_transition(
            saved,
            "submit",
            request.user,
            comment=saved.revision_answer if saved.revision_questions else "",
            expected_status=Status.DRAFT,
        )
    except MissionNotFound:
        raise Http404("No such mission.") from None
    except TransitionError as error:
        # The draft is saved; show the same form with what the procedure still needs, as
        # the version just saved (saving it again is not a save over someone else's).
        form.show_version(mission_version(saved))
        checklist = form.add_missing(error.missing, saved)
        return _render_form(
            request, form, saved, checklist=checklist, saved=True, error=error.message
        )
    messages.success(
        request,
        _(
            "Your request is submitted. OCHA's HCSS will check it and may come back to you "
            "with questions."
        ),
    )
    return redirect("missions:detail", pk=saved.pk)


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    if not request_countries(request.user).exists():
        raise Http404("No such page.")
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES, user=request.user)
        return _save_and_maybe_submit(request, form, None)
    return _render_form(request, RequestForm(user=request.user), None)


@login_required
def request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    if not holds(request.user, "submit_mission", mission):
        if request.method == "POST":
            raise PermissionDenied(
                _("You may not edit this request: only the RC/HC office that submits it does.")
            )
        raise Http404("No such page.")
    if not request_editable_by(mission, request.user):
        messages.info(
            request,
            _(
                "This request is %(status)s, so it can no longer be changed. It becomes "
                "editable again only if OCHA returns it to you with questions."
            )
            % {"status": mission.status_in_sentence},
        )
        return redirect("missions:detail", pk=mission.pk)
    # The form writes what was typed onto its instance; the page keeps the stored mission.
    instance = copy.copy(mission)
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES, user=request.user, instance=instance)
        return _save_and_maybe_submit(request, form, mission)
    return _render_form(request, RequestForm(user=request.user, instance=instance), mission)


@login_required
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    attachment = get_object_or_404(mission.attachments, pk=attachment_pk)
    return private_file_response(
        request,
        attachment.file,
        download_name(attachment.original_name, attachment.content_type),
        attachment.content_type,
        uploader_id=attachment.uploaded_by_id,
    )


@login_required
@require_POST
def attachment_delete_view(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    attachment = get_object_or_404(mission.attachments, pk=attachment_pk)
    if not holds(request.user, "submit_mission", mission):
        raise PermissionDenied(
            _(
                "You may not remove documents from this request: only the RC/HC office that "
                "submits it does."
            )
        )
    try:
        attachment_delete(attachment, request.user)
    except MissionNotFound:
        raise Http404("No such mission.") from None
    except RequestNotEditable as error:
        messages.error(request, str(error))
        return redirect("missions:detail", pk=mission.pk)
    messages.success(
        request,
        _("“%(name)s” is removed from the request.") % {"name": attachment.original_name},
    )
    if request.POST.get("next") == "edit":
        return redirect("missions:edit", pk=mission.pk)
    return redirect(reverse("missions:detail", args=[mission.pk]) + "#documents")


@login_required
@require_POST
def endorse_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    if not holds(request.user, "endorse_mission", mission):
        raise PermissionDenied(_("You may not record the HCT's agreement on this request."))
    if mission.status not in REQUEST_STATES:
        messages.error(
            request,
            _("The HCT's agreement can only be recorded until the request goes to the Task Team."),
        )
        return redirect("missions:detail", pk=mission.pk)
    form = EndorsementForm(request.POST, request.FILES, mission=mission)
    if form.is_valid():
        try:
            mission_endorse(
                mission,
                request.user,
                endorsed_on=form.cleaned_data["hct_endorsed_on"],
                record=form.cleaned_data["hct_endorsement_record"],
                minutes=form.cleaned_data["minutes"],
            )
        except MissionNotFound:
            raise Http404("No such mission.") from None
        except RequestNotEditable as error:
            messages.error(request, str(error))
            return redirect("missions:detail", pk=mission.pk)
        except ValidationError as error:
            rest = errors_onto(form, error)
            if rest:
                form.add_error(None if hasattr(error, "error_dict") else "minutes", rest)
        else:
            messages.success(request, _("The HCT's agreement is recorded."))
            return redirect(reverse("missions:detail", args=[mission.pk]) + "#endorsement")
    return render_detail(request, mission, forms={"endorse_form": form})


@login_required
@require_POST
def comment_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment = comment_add(mission, request.user, form.cleaned_data["text"])
        except MissionNotFound:
            raise Http404("No such mission.") from None
        except ValidationError as error:
            form.add_error("text", error.messages)
        else:
            messages.success(request, _("Your comment is added."))
            return redirect(
                reverse("missions:detail", args=[mission.pk]) + f"#comment-{comment.pk}"
            )
    return render_detail(request, mission, forms={"comment_form": form})
