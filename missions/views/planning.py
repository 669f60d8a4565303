"""The planning page: one place to see how far a mission is from `ready`."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from missions.selectors.missions import get_mission_for
from missions.services.planning import planning_overview
from missions.workflow import lifecycle_steps


@login_required
def planning(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    context = {
        "mission": mission,
        "lifecycle": lifecycle_steps(mission.status),
        **planning_overview(mission, request.user),
    }
    return render(request, "missions/planning.html", context)
