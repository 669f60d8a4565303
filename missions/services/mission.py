"""The mission as a whole: creating one, and the one way its status changes."""

from __future__ import annotations

from django.db import transaction

from missions.models import MISSION, Mission, TransitionLog
from missions.selectors.missions import missions_visible_to
from missions.services.permissions import mission_sync_permissions


def mission_transition(mission: Mission | int, name: str, user, **options) -> TransitionLog:
    """Take transition `name` on a mission as `user`, or raise TransitionError.

    The runner (`missions.workflow.Machine.run`) does it in the user's scope: lock, state,
    permission, guards, save, log row, side effects after commit. Options: `comment`,
    `expected_status`, and the transition's inputs (`reason`, `revisit_on`).
    """
    return MISSION.run(missions_visible_to(user), mission, name, user, **options)


@transaction.atomic
def mission_create(
    *, country, title: str, mission_type: str, requested_by=None, **fields
) -> Mission:
    """Create a request in draft, with its role groups' permissions in place."""
    clusters = fields.pop("requested_clusters", None)
    issues = fields.pop("requested_issues", None)
    mission = Mission.objects.create(
        country=country,
        title=title,
        mission_type=mission_type,
        requested_by=requested_by,
        **fields,
    )
    if clusters is not None:
        mission.requested_clusters.set(clusters)
    if issues is not None:
        mission.requested_issues.set(issues)
    mission_sync_permissions(mission)
    return mission
