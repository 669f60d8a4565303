"""The publication page of a mission's report: its status and log for the leader and HCSS,
and the leader's buttons to publish the public version or withdraw it with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from missions.selectors.missions import get_mission_for
from missions.selectors.report import report_final
from missions.workflow import MissionNotFound, TransitionError, TransitionNotPermitted, holds
from reports.models import PUBLICATION, Publication, PublicationStatus
from reports.selectors.publication import (
    public_pdf,
    publication_log,
    publication_of,
    sees_publication_log,
)
from reports.services.publication import (
    PUBLISHABLE_STATES,
    publication_publish,
    publication_withdraw,
)


def _act(request: HttpRequest, mission) -> None:
    """Take the step the POST asks for, and say how it went."""
    action = request.POST.get("action", "")
    try:
        if action == "publish":
            publication_publish(mission, request.user)
            messages.success(request, _("The public version is published."))
        elif action == "withdraw":
            publication_withdraw(mission, request.user, request.POST.get("reason", ""))
            messages.success(request, _("The public version is withdrawn."))
        else:
            messages.error(request, _("Choose to publish or to withdraw the report."))
    except MissionNotFound:
        raise
    except TransitionNotPermitted as refused:
        raise PermissionDenied(refused.message) from None
    except TransitionError as error:
        messages.error(request, " ".join([error.message, *(m.message for m in error.missing)]))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))


@login_required
@require_http_methods(["GET", "POST"])
def publication_page(request: HttpRequest, mission_pk: int) -> HttpResponse:
    """GET shows the publication's status and log; POST publishes or withdraws (the leader)."""
    mission = get_mission_for(request.user, mission_pk)
    if not sees_publication_log(request.user, mission):
        raise PermissionDenied(_("Only the mission's leader and HCSS follow its publication."))
    if request.method == "POST":
        if not holds(request.user, "lead_mission", mission):
            raise PermissionDenied(
                _("Only the mission's leader publishes or withdraws its report.")
            )
        _act(request, mission)
        return redirect("reports:publication", mission_pk=mission.pk)
    publication = publication_of(mission) or Publication(mission=mission)
    return render(
        request,
        "reports/publication/publication.html",
        {
            "mission": mission,
            "publication": publication,
            "published": publication.status == PublicationStatus.PUBLISHED,
            "pdf": public_pdf(publication, request.LANGUAGE_CODE) if publication.pk else None,
            "log": publication_log(publication),
            "options": PUBLICATION.options(publication, request.user),
            "final": report_final(mission),
            "distributed": mission.status in PUBLISHABLE_STATES,
        },
    )
