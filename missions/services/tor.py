"""The Terms of Reference of an approved mission: started from the Task Team's agreed focus,
edited by the GCC and the mission leader with the country, kept as numbered versions (who
changed what, when), and marked final before the mission can be confirmed ready.

Services write (`tor_start`, `tor_save`, `tor_mark_final`); selectors read. The mission a
selector receives has already been scoped by the caller (`get_mission_for`).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from formats.text import SectionDiff, clean_text, sections_diff
from missions.models import Mission, TermsOfReference, ToRVersion
from missions.models.mission import current_tor_version
from missions.models.tor import START_NOTE
from missions.selectors.missions import mission_for_update, organises
from missions.workflow import PLANNING_STATES

SECTIONS: tuple[str, ...] = ToRVersion.SECTIONS
# The sections' headings as people read them, in the reader's language.
SECTION_LABELS = {
    "background": gettext_lazy("Background and context"),
    "focus": gettext_lazy("Focus of the mission"),
    "objectives": gettext_lazy("Objectives"),
    "deliverables": gettext_lazy("Expected deliverables"),
    "team": gettext_lazy("Team composition"),
    "timing": gettext_lazy("Timing and itinerary"),
}


def section_label(name: str) -> str:
    """The section's heading as people read it ("Focus of the mission")."""
    return str(SECTION_LABELS[name])


# Reads ------------------------------------------------------------------------------------------


def tor_for(mission: Mission) -> TermsOfReference | None:
    """The mission's ToR, or None before anyone started it."""
    return (
        TermsOfReference.objects.select_related("final_version", "finalised_by")
        .filter(mission=mission)
        .first()
    )


def tor_versions(mission: Mission) -> QuerySet[ToRVersion]:
    """Every version, newest first, with its author (one query whatever their number)."""
    return (
        ToRVersion.objects.filter(tor__mission=mission).select_related("author").order_by("-number")
    )


def tor_current(mission: Mission) -> ToRVersion | None:
    """The newest version: the ToR as it stands."""
    return tor_versions(mission).first()


def tor_may_edit(mission: Mission, user) -> bool:
    """An editor may change the ToR now: the mission is approved or in planning."""
    return mission.status in PLANNING_STATES and organises(user, mission)


def tor_overview(mission: Mission) -> dict:
    """What the planning overview shows of the ToR, in one query (which the readiness guard
    `tor_final` shares on the planning page).

    Keys: exists, number (current version or None), final, updated_at, updated_by (a user or
    None), finalised_at.
    """
    current = current_tor_version(mission)
    if current is None:
        return {
            "exists": False,
            "number": None,
            "final": False,
            "updated_at": None,
            "updated_by": None,
            "finalised_at": None,
        }
    return {
        "exists": True,
        "number": current.number,
        "final": current.tor.final_version_id is not None,
        "updated_at": current.created_at,
        "updated_by": current.author,
        "finalised_at": current.tor.finalised_at,
    }


def tor_diff(
    previous: ToRVersion | None, version: ToRVersion, context: int = 2
) -> list[SectionDiff]:
    """What `version` changed against `previous`, section by section, line by line.

    Unchanged lines around a change are kept for context (`context` of them); longer
    unchanged stretches become one "gap" line. Against no previous version, everything is new.
    """
    return sections_diff(
        previous, version, [(name, section_label(name)) for name in SECTIONS], context
    )


# Writes -----------------------------------------------------------------------------------------


def _locked_for_edit(mission: Mission | int, user) -> Mission:
    """Re-read and lock the mission; refuse unless `user` may edit its ToR now."""
    current = mission_for_update(user, mission)
    if not organises(user, current):
        raise PermissionDenied(_("You may not edit these Terms of Reference."))
    if current.status not in PLANNING_STATES:
        raise ValidationError(
            _(
                "The Terms of Reference can only be changed while the mission is approved or in "
                "planning; it is now %(status)s."
            )
            % {"status": current.status_in_sentence}
        )
    return current


def _window(mission: Mission) -> str:
    if mission.preferred_start and mission.preferred_end:
        return _("Preferred window: %(start)s to %(end)s.") % {
            "start": date_format(mission.preferred_start, "j F Y"),
            "end": date_format(mission.preferred_end, "j F Y"),
        }
    if mission.preferred_start:
        return _("Preferred start: %(start)s.") % {
            "start": date_format(mission.preferred_start, "j F Y")
        }
    return ""


def _first_sections(mission: Mission) -> dict[str, str]:
    """Version 1, drawn from the request and the Task Team's decision."""
    background = mission.issues.strip()
    if mission.draft_tor.strip():
        background = "\n\n".join(
            part
            for part in (
                background,
                _("The Task Team's draft Terms of Reference:"),
                mission.draft_tor,
            )
            if part.strip()
        )
    team = []
    if mission.suggested_team_size:
        team.append(_("Suggested team size: %(size)s.") % {"size": mission.suggested_team_size})
    clusters = ", ".join(c.name for c in mission.requested_clusters.order_by("name"))
    if clusters:
        team.append(_("Clusters wanted: %(names)s.") % {"names": clusters})
    issues = ", ".join(i.name for i in mission.requested_issues.order_by("name"))
    if issues:
        team.append(_("Cross-cutting issues wanted: %(names)s.") % {"names": issues})
    if mission.composition_notes.strip():
        team.append(mission.composition_notes)
    return {
        "background": background,
        "focus": mission.agreed_focus,
        "objectives": mission.objectives,
        "deliverables": mission.deliverables,
        "team": "\n".join(team),
        "timing": _window(mission),
    }


def tor_start(mission: Mission | int, user) -> TermsOfReference:
    """Start the mission's ToR, its version 1 drawn from the Task Team's agreed focus and the
    request. Idempotent: when the ToR exists already, it is returned unchanged."""
    with transaction.atomic():
        current = _locked_for_edit(mission, user)
        existing = TermsOfReference.objects.filter(mission=current).first()
        if existing is not None:
            return existing
        tor = TermsOfReference.objects.create(mission=current)
        sections = {name: clean_text(text) for name, text in _first_sections(current).items()}
        ToRVersion.objects.create(
            tor=tor, number=1, author=user, change_note=START_NOTE, **sections
        )
    return tor


def _stale(number: int) -> ValidationError:
    return ValidationError(
        _(
            "Someone saved version %(number)s of the Terms of Reference while you were editing. "
            "Nothing was saved: your text is still in the form. Compare it with the current "
            "version, then save again."
        )
        % {"number": number}
    )


def tor_save(
    mission: Mission | int, user, *, base_number: int, change_note: str, **sections
) -> ToRVersion | None:
    """Save the edited sections as a new version, or return None when nothing changed.

    `base_number` is the version the user started editing from: when someone saved a newer
    one meanwhile, nothing is saved (ValidationError). Sections left out keep their current
    text. A new version is no longer final.
    """
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ValidationError(
            _("Unknown sections: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        current_mission = _locked_for_edit(mission, user)
        tor = TermsOfReference.objects.select_for_update().filter(mission=current_mission).first()
        if tor is None:
            raise ValidationError(_("Start the Terms of Reference first."))
        latest = tor.versions.order_by("-number").first()
        if base_number != latest.number:
            raise _stale(latest.number)
        text = {name: getattr(latest, name) for name in SECTIONS}
        text.update({name: clean_text(value) for name, value in sections.items()})
        if all(text[name] == getattr(latest, name) for name in SECTIONS):
            return None
        change_note = clean_text(change_note)
        if not change_note:
            raise ValidationError({"change_note": _("Say in a few words what you changed.")})
        try:
            # The savepoint lets a concurrent save of the same number fail cleanly.
            with transaction.atomic():
                version = ToRVersion.objects.create(
                    tor=tor,
                    number=latest.number + 1,
                    author=user,
                    change_note=change_note[:300],
                    **text,
                )
        except IntegrityError:
            raise _stale(latest.number + 1) from None
        if tor.final_version_id is not None:
            tor.final_version = None
            tor.finalised_by = None
            tor.finalised_at = None
            tor.save(update_fields=["final_version", "finalised_by", "finalised_at"])
    return version


def tor_mark_final(mission: Mission | int, user, *, number: int) -> ToRVersion:
    """Mark version `number` final; it must be the current one (the user saw the latest).

    Marking the version that is already final again changes nothing.
    """
    with transaction.atomic():
        current_mission = _locked_for_edit(mission, user)
        tor = TermsOfReference.objects.select_for_update().filter(mission=current_mission).first()
        if tor is None:
            raise ValidationError(_("Start the Terms of Reference first."))
        latest = tor.versions.order_by("-number").first()
        if number != latest.number:
            raise ValidationError(
                _(
                    "Version %(number)s is no longer the current one: someone saved version "
                    "%(latest)s. Read it, then mark it final."
                )
                % {"number": number, "latest": latest.number}
            )
        if tor.final_version_id != latest.pk:
            tor.final_version = latest
            tor.finalised_by = user
            tor.finalised_at = timezone.now()
            tor.save(update_fields=["final_version", "finalised_by", "finalised_at"])
    return latest
