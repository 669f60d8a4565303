"""The planning overview: where a mission stands on its way from `approved` to `ready`.

The steps are read off the `confirm_ready` transition's own guards, so a guard added there
appears here without another change.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from missions.models import Mission
from missions.workflow import Status, holds, shared_reads

# guard name: (what the step is called, the page that settles it)
STEP_PAGES = {
    "tor_final": (_("Terms of Reference final"), "missions:tor"),
    "team_confirmed": (_("Team confirmed"), "missions:team"),
    "leader_elected": (_("Leader elected"), "missions:election"),
    "issues_covered": (_("Cross-cutting issues covered"), "missions:issues"),
    "logistics_complete": (_("Logistics complete"), "missions:logistics"),
}


def readiness(mission: Mission) -> list[dict]:
    """Each step of `confirm_ready` with what it still lacks (empty when done)."""
    guards = Mission.confirm_ready._django_fsm.get_transition(Status.IN_PLANNING).conditions
    steps = []
    for guard in guards:
        label, url_name = STEP_PAGES.get(guard.__name__, (guard.__name__, "missions:planning"))
        missing = guard.missing(mission)
        steps.append(
            {
                "name": guard.__name__,
                "label": label,
                "url": reverse(url_name, args=[mission.pk]),
                "done": not missing,
                "missing": [item.message for item in missing],
                "missing_items": missing,
            }
        )
    return steps


def planning_overview(mission: Mission, user) -> dict:
    """Everything the planning page shows: each part's state, the readiness checklist, the
    steps the user may take, and lessons from earlier missions."""
    from missions.selectors.lessons import lessons_for_planning
    from missions.selectors.missions import transitions_for
    from missions.services.election import election_overview
    from missions.services.lessons import lesson_may_add
    from missions.services.preparation import coverage_overview, logistics_overview
    from missions.services.team import team_summary
    from missions.services.tor import tor_overview

    # The checklist's guards and the overviews read the same rows (the team, the logistics,
    # the issues): once.
    with shared_reads():
        steps = readiness(mission)
        # The checklist has evaluated confirm_ready's guards: the step offered reuses them.
        known = {"confirm_ready": [item for step in steps for item in step["missing_items"]]}
        return {
            "tor": tor_overview(mission),
            "team": team_summary(mission),
            "election": election_overview(mission),
            "coverage": coverage_overview(mission),
            "logistics": logistics_overview(mission),
            "readiness": steps,
            "ready": all(step["done"] for step in steps),
            "transitions": [
                t
                for t in transitions_for(mission, user, known)
                if t["name"] in ("start_planning", "confirm_ready")
            ],
            "lessons": lessons_for_planning(mission, user),
            "can_record_lesson": lesson_may_add(mission, user),
            "can_plan": holds(user, "plan_mission", mission),
        }
