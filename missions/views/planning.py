"""The planning page: one place to see how far a mission is from `ready`."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from missions.models import lifecycle_steps
from missions.planning import planning_overview
from missions.selectors import get_mission_for


@login_required
def planning(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    context = {
        "mission": mission,
        "lifecycle": lifecycle_steps(mission.status),
        **planning_overview(mission, request.user),
    }
    return render(request, "missions/planning.html", context)
