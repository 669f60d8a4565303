"""Writes. `mission_transition` is the only way a mission's status changes."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from functools import partial

from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from missions.models import Missing, Mission, Status, TransitionLog
from missions.permissions import mission_sync_permissions
from missions.selectors import missions_visible_to, transition_meta, transition_missing


class TransitionError(Exception):
    """A transition that did not happen. `message` is for the user; nothing was changed."""

    def __init__(self, message: str, missing: list[Missing] | None = None):
        super().__init__(message)
        self.message = message
        self.missing = missing or []


class MissionNotFound(TransitionError):
    """The mission does not exist or is outside the user's scope (shown as a 404)."""


class TransitionNotPermitted(TransitionError):
    pass


class TransitionRefused(TransitionError):
    """Not possible from the current state, or a guard failed (see `missing`)."""


class StaleTransition(TransitionError):
    """Someone else changed the mission first."""


# Side effects per transition name ("*" for all). Each receives the log row's pk and runs
# only after the transaction commits: a rolled-back transition notifies nobody.
_after_commit: dict[str, list[Callable[[int], None]]] = defaultdict(list)


def after_transition(*names: str):
    """Register a function to call, after commit, with the log pk of each `names` transition."""

    def register(effect: Callable[[int], None]):
        for name in names:
            _after_commit[name].append(effect)
        return effect

    return register


def _clean_inputs(name: str, required: tuple[str, ...], inputs: dict) -> dict:
    cleaned, missing = {}, []
    if "reason" in required:
        reason = (inputs.get("reason") or "").strip()
        if not reason:
            missing.append(Missing("reason", "Give a reason."))
        cleaned["reason"] = reason
    if "revisit_on" in required:
        value = inputs.get("revisit_on")
        if isinstance(value, str):
            try:
                value = datetime.date.fromisoformat(value.strip())
            except ValueError:
                value = None
        if not isinstance(value, datetime.date):
            missing.append(Missing("revisit_on", "Give the date to revisit (YYYY-MM-DD)."))
        elif value <= timezone.localdate():
            missing.append(Missing("revisit_on", "The date to revisit must be in the future."))
        cleaned["revisit_on"] = value
    if missing:
        raise TransitionRefused("Some information is missing.", missing)
    return cleaned


def mission_transition(
    mission: Mission | int,
    name: str,
    user,
    *,
    comment: str = "",
    expected_status: str | None = None,
    **inputs,
) -> TransitionLog:
    """Take transition `name` on a mission as `user`, or raise TransitionError.

    In one transaction: re-read and lock the mission, check it is still in the state the user
    saw (`expected_status`), check the user's permission on this mission and the guards,
    apply the transition, save (optimistically locked on the status), write the log row, and
    schedule the side effects for after commit.
    """
    pk = mission.pk if isinstance(mission, Mission) else mission
    with transaction.atomic():
        current = missions_visible_to(user).select_for_update().filter(pk=pk).first()
        if current is None:
            raise MissionNotFound("No such mission.")
        status_label = Status(current.status).label.lower()
        if expected_status and current.status != expected_status:
            raise StaleTransition(
                f"Someone changed this mission while you were looking at it: it is now "
                f"{status_label}. Nothing was changed; check the page and try again."
            )
        meta = transition_meta(current, name)
        if meta is None:
            raise TransitionRefused(
                f"That step is not possible while the mission is {status_label}."
            )
        label = meta.custom.get("label", name)
        if not meta.has_perm(current, user):
            raise TransitionNotPermitted(f"You may not take the step '{label}' on this mission.")
        cleaned = _clean_inputs(name, meta.custom.get("inputs", ()), inputs)
        missing = transition_missing(current, name)
        if missing:
            raise TransitionRefused(f"'{label}' needs more first.", missing)

        source = current.status
        getattr(current, name)(**cleaned)
        try:
            current.save()
        except ConcurrentTransition:
            raise StaleTransition(
                "Someone changed this mission at the same moment. Nothing was changed; "
                "check the page and try again."
            ) from None
        log = TransitionLog.objects.create(
            mission=current,
            transition=name,
            source=source,
            target=current.status,
            user=user,
            comment=comment.strip(),
            reason=cleaned.get("reason", ""),
        )
        for effect in [*_after_commit[name], *_after_commit["*"]]:
            transaction.on_commit(partial(effect, log.pk))
    if isinstance(mission, Mission):
        mission.refresh_from_db()
    return log


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
