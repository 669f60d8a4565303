from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from missions.forms.mission import step_inputs
from missions.models import TRANSITION_NAMES, Mission
from missions.selectors.missions import get_mission_for, missions_visible_to
from missions.services.mission import mission_transition
from missions.views.detail import render_detail
from missions.workflow import (
    MissionNotFound,
    Status,
    TransitionError,
    TransitionNotPermitted,
)

PAGE_SIZE = 50


@login_required
def mission_list(request: HttpRequest) -> HttpResponse:
    missions = (
        missions_visible_to(request.user).select_related("country").only(*Mission.LIST_FIELDS)
    )
    status = request.GET.get("status", "")
    if status in Status.values:
        missions = missions.filter(status=status)
    else:
        status = ""
    page = Paginator(missions.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "missions/mission_list.html",
        {"page": page, "status": status, "statuses": Status.choices},
    )


@login_required
def mission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_detail(request, get_mission_for(request.user, pk))


@login_required
@require_POST
def mission_transition_view(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    if name not in TRANSITION_NAMES:
        raise Http404("No such step.")
    try:
        mission_transition(mission, name, request.user, **step_inputs(request.POST))
    except MissionNotFound:
        raise Http404("No such mission.") from None
    except TransitionError as error:
        # Show the page again with the message next to the step, keeping what was typed.
        mission.refresh_from_db()
        failed = {
            "name": name,
            "message": error.message,
            "missing": {item.field: item.message for item in error.missing},
            "values": request.POST,
        }
        response = render_detail(request, mission, failed)
        # Who sees the mission but may not take the step is refused (403), with the
        # message; a step that is not possible now, or lacks something, is the form again.
        if isinstance(error, TransitionNotPermitted):
            response.status_code = 403
        return response
    mission.refresh_from_db(fields=["status", "revision_questions"])
    messages.success(
        request, _("Done: the mission is now %(status)s.") % {"status": mission.status_in_sentence}
    )
    return redirect("missions:detail", pk=mission.pk)
