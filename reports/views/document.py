"""Documents on the web: the PDF's progress, asking for it, and downloading the stored file.

Whoever sees the mission sees its documents; anything else is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from formats.uploads import clean_filename
from missions.selectors.missions import get_mission_for
from missions.views.files import private_file_response
from reports.models import Document
from reports.selectors.document import documents_visible_to, tor_document
from reports.services.document import document_request

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
            document_request(mission, request.user, Document.Kind.TOR)
        except PermissionDenied:
            raise Http404("No such mission.") from None
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("reports:tor", mission_pk=mission.pk)
    version, document = tor_document(mission)
    response = render(
        request,
        "reports/tor_status.html",
        {
            "mission": mission,
            "version": version,
            "final": bool(version and version.tor.final_version_id == version.pk),
            "document": document,
        },
    )
    if document and document.in_progress and not document.stalled:
        response["Refresh"] = str(REFRESH_SECONDS)
    return response


@login_required
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(
        documents_visible_to(request.user).select_related("mission"),
        pk=pk,
        status=Document.Status.READY,
    )
    final = " final" if document.source_final else ""
    title = document.mission.title.replace("/", "-").replace("\\", "-")
    name = clean_filename(
        f"{document.get_kind_display()} - {title} - v{document.source_version}{final}.pdf"
    )
    return private_file_response(document.file, name, "application/pdf")
