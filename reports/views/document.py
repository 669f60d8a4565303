"""Documents on the web: the PDF's progress, asking for it, and downloading the stored file;
the ToR's, the report's (and its public version's) and the follow-up status reports.

Whoever sees the mission sees its documents; anything else is a 404. Each page shows, and
asks for, the PDFs in the language it is read in (`request.LANGUAGE_CODE`).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clusters.files import private_file_response
from formats.uploads import clean_filename
from missions.selectors.missions import get_mission_for
from missions.workflow import holds
from reports.models import Document
from reports.selectors.document import (
    documents_visible_to,
    followup_status_rows,
    report_documents,
    tor_document,
)
from reports.services.document import (
    document_request,
    followup_status_in_language,
    followup_status_request,
)

# Seconds between reloads of the progress page (no JavaScript needed).
REFRESH_SECONDS = 3


@login_required
@require_http_methods(["GET", "POST"])
def tor_document_page(request: HttpRequest, mission_pk: int) -> HttpResponse:
    """GET shows the PDF of the current ToR version (ready, in progress, failed or none);
    POST asks for it and comes back here."""
    mission = get_mission_for(request.user, mission_pk)
    if request.method == "POST":
        try:
            document_request(mission, request.user, Document.Kind.TOR, request.LANGUAGE_CODE)
        except PermissionDenied:
            raise Http404("No such mission.") from None
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("reports:tor", mission_pk=mission.pk)
    version, document, other = tor_document(mission, request.LANGUAGE_CODE)
    response = render(
        request,
        "reports/tor_status.html",
        {
            "mission": mission,
            "version": version,
            "final": bool(version and version.tor.final_version_id == version.pk),
            "document": document,
            "other": other,
        },
    )
    if document and document.in_progress and not document.stalled:
        response["Refresh"] = str(REFRESH_SECONDS)
    return response


def _on_its_way(*documents: Document | None) -> bool:
    """Whether a document is queued or rendering (and not lost): its page reloads itself."""
    return any(d is not None and d.in_progress and not d.stalled for d in documents)


def _page(request: HttpRequest, template: str, context: dict, refresh: bool) -> HttpResponse:
    response = render(
        request, template, {**context, "refresh": REFRESH_SECONDS if refresh else None}
    )
    if refresh:
        response["Refresh"] = str(REFRESH_SECONDS)
    return response


REPORT_KINDS = (Document.Kind.REPORT, Document.Kind.PUBLIC_REPORT)


@login_required
@require_http_methods(["GET", "POST"])
def report_document_page(request: HttpRequest, mission_pk: int) -> HttpResponse:
    """GET shows the PDF of the report's current version and, once it is final, of its
    public version; POST (`kind`: report or public_report) asks for one."""
    mission = get_mission_for(request.user, mission_pk)
    if request.method == "POST":
        kind = request.POST.get("kind") or Document.Kind.REPORT
        try:
            if kind not in REPORT_KINDS:
                raise ValidationError(_("Choose the report or its public version."))
            document_request(mission, request.user, kind, request.LANGUAGE_CODE)
        except PermissionDenied:
            raise Http404("No such mission.") from None
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("reports:report", mission_pk=mission.pk)
    state = report_documents(mission, request.LANGUAGE_CODE)
    return _page(
        request,
        "reports/report_status.html",
        {"mission": mission, **state},
        _on_its_way(state["report"], state["public"]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def followup_status_page(request: HttpRequest, mission_pk: int) -> HttpResponse:
    """GET lists the mission's follow-up status reports; POST (the leader) makes one now, or
    (`number`: anyone who sees the mission) makes one of them in the page's language."""
    mission = get_mission_for(request.user, mission_pk)
    if request.method == "POST":
        if "number" in request.POST:
            _status_report_in_language(request, mission)
        else:
            # A user who sees the mission but does not lead it gets the 403 page with the reason.
            followup_status_request(mission, request.user, request.LANGUAGE_CODE)
            messages.success(
                request, _("The status report is being made; it shows here when ready.")
            )
        return redirect("reports:followup_status", mission_pk=mission.pk)
    rows = followup_status_rows(mission, request.LANGUAGE_CODE)
    return _page(
        request,
        "reports/followup_status_list.html",
        {
            "mission": mission,
            "rows": rows,
            "leads": holds(request.user, "lead_mission", mission),
        },
        _on_its_way(*(row["document"] for row in rows)),
    )


def _status_report_in_language(request: HttpRequest, mission) -> None:
    try:
        followup_status_in_language(
            mission, request.user, int(request.POST["number"]), request.LANGUAGE_CODE
        )
    except (ValueError, OverflowError):
        messages.error(request, _("Choose a status report."))
    except PermissionDenied:
        raise Http404("No such mission.") from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))


@login_required
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(
        documents_visible_to(request.user).select_related("mission"),
        pk=pk,
        status=Document.Status.READY,
    )
    title = document.mission.title.replace("/", "-").replace("\\", "-")
    names = {
        "kind": document.get_kind_display(),
        "title": title,
        "number": document.source_version,
    }
    name = clean_filename(
        _("%(kind)s - %(title)s - v%(number)s final.pdf") % names
        if document.source_final
        else _("%(kind)s - %(title)s - v%(number)s.pdf") % names
    )
    # A PDF is rendered, not uploaded: its "uploader" is whoever asked for it.
    return private_file_response(
        request, document.file, name, "application/pdf", uploader_id=document.requested_by_id
    )
