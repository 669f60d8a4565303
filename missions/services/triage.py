"""Triage: what HCSS writes on a request besides its transitions, the triage note.

The note records that HCSS checked the request is complete (the `forward` guard asks for it).
It is written only here, by whoever may triage the request, while it is in HCSS's queue, and
never over a version of the request newer than the one the page showed.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from missions.models import Mission
from missions.selectors.missions import mission_for_update
from missions.services.intake import mission_check_unchanged
from missions.workflow import TRIAGE_QUEUE_STATES, holds


def triage_note_editable(mission: Mission, user) -> bool:
    """Whether `user` may write the triage note of `mission` now."""
    return mission.status in TRIAGE_QUEUE_STATES and holds(user, "triage_mission", mission)


def _clean(note: str | None) -> str:
    return (note or "").strip()


def triage_note_check(
    mission: Mission, user, note: str | None, expected_updated_at: str | None
) -> None:
    """Raise what `triage_note_save` would refuse for this note, without writing anything
    (a form's check before it saves). `mission` is the current row, read in the user's scope.

    A note that does not change is always fine: saving it writes nothing. Otherwise: the
    user may triage the request (PermissionDenied), it is submitted or in triage
    (ValidationError on the note), and nobody saved the mission since the page showed
    `expected_updated_at` (MissionChanged; None skips this, for a caller that showed no page).
    """
    if _clean(note) == mission.triage_note:
        return
    if not holds(user, "triage_mission", mission):
        raise PermissionDenied(_("You may not triage this request."))
    if mission.status not in TRIAGE_QUEUE_STATES:
        raise ValidationError(
            {
                "triage_note": _(
                    "The triage note can only change while the request is submitted or in "
                    "triage; it is now %(status)s."
                )
                % {"status": mission.status_in_sentence}
            }
        )
    message = _(
        "Someone else saved this mission after you opened this page. Nothing was saved and "
        "nothing of theirs was overwritten: the page now shows the mission as it is, with "
        "your triage note kept in its field. Check it, then save again."
    )
    if mission.triage_note:
        message += " " + _("The triage note saved meanwhile reads: “%(note)s”.") % {
            "note": mission.triage_note
        }
    mission_check_unchanged(mission, expected_updated_at, message)


def triage_note_save(
    mission: Mission | int, user, note: str | None, expected_updated_at: str | None
) -> Mission:
    """Write the triage note of `mission` as `user`, or raise as `triage_note_check` says
    (MissionNotFound outside the user's scope). Returns the mission as saved."""
    with transaction.atomic():
        current = mission_for_update(user, mission)
        triage_note_check(current, user, note, expected_updated_at)
        note = _clean(note)
        if note != current.triage_note:
            current.triage_note = note
            current.save(update_fields=["triage_note", "updated_at"])
    if isinstance(mission, Mission):
        mission.refresh_from_db()
    return current
