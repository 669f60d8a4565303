"""Getting a mission ready to deploy, beyond its ToR and team: how each cross-cutting issue is
covered (on the team, supported remotely, or by a briefing paper), reminding the issues' focal
points of briefings still due, and the logistics checklist with the dates in the country.

Services write (`coverage_set`, `briefing_upload`, `logistics_set_dates`, `logistics_update`,
`participant_travel_set`); selectors read (`coverage_rows`, `coverage_overview`,
`logistics_grid`, `logistics_overview`); `remind_briefings` is the periodic job. What counts
as covered or complete is what the `issues_covered` and `logistics_complete` guards of
`confirm_ready` say; the selectors here mirror them row by row and the tests hold them equal.

A mission a selector receives has already been scoped by the caller (`get_mission_for`).
"""

from __future__ import annotations

import datetime
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from clusters.models import CrossCuttingIssue, Role, RoleAssignment
from formats.uploads import ACCEPTED_NAMES, DOCX, PDF, UploadRejected, check_upload, clean_filename
from missions.models import (
    ChecklistItem,
    IssueCoverage,
    LogisticsEntry,
    Mission,
    Nomination,
    ReminderSent,
)
from missions.models.mission import (
    accepted_members,
    active_checklist,
    coverage_by_issue,
    is_covered,
    logistics_statuses,
    relevant_issue_list,
    relevant_issues,
    uncovered_issues,
)
from missions.selectors.missions import mission_for_update, organises
from missions.services.notices import notify, site_url
from missions.workflow import ORGANISING_STATES, PLANNING_STATES, MissionNotFound, holds

BRIEFING_KINDS = (PDF, DOCX)
# How far ahead an item not done is flagged "due soon".
DUE_SOON_DAYS = 7

Mode = IssueCoverage.Mode


def not_editable_message(mission: Mission) -> str:
    """Why nothing of the preparation can change now, in words for the page."""
    return gettext(
        "This mission is %(status)s: its preparation can only be changed while it is approved "
        "or in planning."
    ) % {"status": mission.status_in_sentence}


def _check_editor(mission: Mission, user) -> None:
    if not organises(user, mission):
        raise PermissionDenied(gettext("Only the GCC and the mission leader change this."))
    if mission.status not in PLANNING_STATES:
        raise ValidationError(not_editable_message(mission))


def preparation_may_edit(mission: Mission, user) -> bool:
    """The GCC and the mission's leader set coverage and logistics while planning."""
    return mission.status in PLANNING_STATES and organises(user, mission)


def mission_start(mission: Mission) -> datetime.date | None:
    """The day the mission starts: in the country if set, else the request's preferred start."""
    return mission.in_country_from or mission.preferred_start


# Cross-cutting issues: reads -------------------------------------------------------------------


def _focal_issue_ids(user) -> set[int]:
    """The cross-cutting issues `user` is a focal point for."""
    if not user.is_authenticated:
        return set()
    return set(
        RoleAssignment.objects.filter(user=user, role=Role.CCI_FOCAL_POINT).values_list(
            "cross_cutting_issue_id", flat=True
        )
    )


def briefing_uploader(mission: Mission, user, issue: CrossCuttingIssue) -> bool:
    """`user` is one who uploads the issue's briefing: the GCC, or a focal point of that issue
    who sees the mission (in any state)."""
    if not user.is_active:
        return False
    if holds(user, "plan_mission", mission):
        return True
    return issue.pk in _focal_issue_ids(user) and holds(user, "view_mission", mission)


def briefing_may_upload(mission: Mission, user, issue: CrossCuttingIssue) -> bool:
    """The issue's own focal points (who see the mission) and the GCC upload its briefing,
    while the mission is being planned."""
    return mission.status in PLANNING_STATES and briefing_uploader(mission, user, issue)


def _missing_for(coverage: IssueCoverage | None, issue: CrossCuttingIssue) -> str:
    if coverage is None or not coverage.mode:
        return gettext(
            "Choose how it is covered: a team member, remote support or a briefing paper."
        )
    if coverage.mode == Mode.REPRESENTED:
        return gettext("Choose a member of the team (the one chosen is no longer on it).")
    if coverage.mode == Mode.REMOTE:
        return gettext("Name the focal point who supports the mission remotely.")
    return gettext("The briefing paper on %(issue)s has not been uploaded yet.") % {
        "issue": issue.name
    }


def coverage_rows(mission: Mission, user) -> list[dict]:
    """One row per relevant issue: its coverage (or None), whether it is covered, what is
    missing, and whether `user` may upload its briefing paper. Constant queries."""
    issues = relevant_issue_list(mission)
    coverage = coverage_by_issue(mission)
    is_gcc = holds(user, "plan_mission", mission)
    focal_of = _focal_issue_ids(user)
    may_upload_any = user.is_active and mission.status in PLANNING_STATES
    rows = []
    for issue in issues:
        row = coverage.get(issue.pk)
        covered = is_covered(row, mission)
        rows.append(
            {
                "issue": issue,
                "coverage": row,
                "covered": covered,
                "missing": "" if covered else _missing_for(row, issue),
                "has_briefing": bool(row and row.briefing),
                "may_upload": may_upload_any and (is_gcc or issue.pk in focal_of),
            }
        )
    return rows


def coverage_for(mission: Mission, issue: CrossCuttingIssue) -> IssueCoverage | None:
    return (
        IssueCoverage.objects.select_related(
            "member__participant", "briefing_uploaded_by", "updated_by"
        )
        .filter(mission=mission, cross_cutting_issue=issue)
        .first()
    )


def coverage_overview(mission: Mission) -> dict:
    """What the planning overview shows of cross-cutting issues, in two queries.

    Keys: total (relevant issues), covered, missing (names of the issues not covered),
    complete (nothing missing), by_mode (how many covered each way).
    """
    issues = relevant_issue_list(mission)
    coverage = coverage_by_issue(mission)
    by_mode = dict.fromkeys(Mode.values, 0)
    missing = []
    for issue in issues:
        row = coverage.get(issue.pk)
        if is_covered(row, mission):
            by_mode[row.mode] += 1
        else:
            missing.append(issue.name)
    return {
        "total": len(issues),
        "covered": len(issues) - len(missing),
        "missing": missing,
        "complete": not missing,
        "by_mode": by_mode,
    }


def team_members(mission: Mission) -> QuerySet[Nomination]:
    """The accepted participants of the mission, with their user (one query)."""
    return (
        Nomination.objects.filter(mission=mission, status=Nomination.Status.ACCEPTED)
        .select_related("participant", "agency")
        .order_by("participant__last_name", "participant__first_name", "participant__username")
    )


# Cross-cutting issues: writes ------------------------------------------------------------------


def _relevant_issue(mission: Mission, issue: CrossCuttingIssue | int) -> CrossCuttingIssue:
    pk = issue.pk if isinstance(issue, CrossCuttingIssue) else issue
    found = relevant_issues(mission).filter(pk=pk).first()
    if found is None:
        raise ValidationError(
            gettext(
                "This cross-cutting issue is not one the mission must cover: it was neither "
                "requested nor invited."
            )
        )
    return found


def coverage_set(
    mission: Mission | int,
    user,
    issue: CrossCuttingIssue | int,
    *,
    mode: str,
    member: Nomination | int | None = None,
    remote_focal_point: str = "",
) -> IssueCoverage:
    """The GCC or the leader decide how one relevant issue is covered.

    Represented needs an accepted member of this mission's team; remote needs the name of
    the focal point supporting remotely; a briefing paper is uploaded separately (and any
    paper already uploaded is kept whatever the mode, for the team to read).
    """
    remote_focal_point = (remote_focal_point or "").strip()
    with transaction.atomic():
        current = mission_for_update(user, mission)
        _check_editor(current, user)
        issue = _relevant_issue(current, issue)
        if mode not in Mode.values:
            raise ValidationError({"mode": gettext("Choose how the issue is covered.")})
        chosen = None
        if mode == Mode.REPRESENTED:
            member_pk = member.pk if isinstance(member, Nomination) else member
            chosen = (
                Nomination.objects.filter(
                    pk=member_pk, mission=current, status=Nomination.Status.ACCEPTED
                )
                .select_related("participant")
                .first()
                if member_pk
                else None
            )
            if chosen is None:
                raise ValidationError(
                    {
                        "member": gettext(
                            "Choose the member of this mission's team who represents it."
                        )
                    }
                )
        if mode == Mode.REMOTE and not remote_focal_point:
            raise ValidationError(
                {
                    "remote_focal_point": gettext(
                        "Name the focal point who supports the mission remotely."
                    )
                }
            )
        coverage, _ = IssueCoverage.objects.select_for_update().get_or_create(
            mission=current, cross_cutting_issue=issue
        )
        coverage.mode = mode
        coverage.member = chosen
        coverage.remote_focal_point = remote_focal_point if mode == Mode.REMOTE else ""
        coverage.updated_by = user
        coverage.save()
    return coverage


def briefing_upload(
    mission: Mission | int, user, issue: CrossCuttingIssue | int, uploaded_file
) -> IssueCoverage:
    """Store the briefing paper of one relevant issue (a PDF or DOCX, checked by content).

    Its focal points (who see the mission) or the GCC upload it. A paper replaces the one
    before, whose file is deleted once the new one is committed. An issue not covered yet is
    then covered by this paper.
    """
    with transaction.atomic():
        current = mission_for_update(user, mission)
        issue_pk = issue.pk if isinstance(issue, CrossCuttingIssue) else issue
        target = CrossCuttingIssue.objects.filter(pk=issue_pk).first()
        if target is None or not briefing_uploader(current, user, target):
            raise PermissionDenied(
                gettext("Only the issue's focal points and the GCC upload its briefing.")
            )
        if current.status not in PLANNING_STATES:
            raise ValidationError({"briefing": not_editable_message(current)})
        issue = _relevant_issue(current, target)
        try:
            kind = check_upload(
                uploaded_file, uploaded_file.size, settings.ICSM_ATTACHMENT_MAX_BYTES
            )
        except UploadRejected as rejected:
            message = rejected.message
            if gettext(ACCEPTED_NAMES) in message:
                # The general refusal offers kinds a briefing may not be: say what it may be.
                message = gettext(
                    "This file's content is not a PDF or a Word document (DOCX), whatever its "
                    "name says. A briefing paper must be one of those."
                )
            raise ValidationError({"briefing": message}) from None
        if kind not in BRIEFING_KINDS:
            raise ValidationError(
                {
                    "briefing": gettext(
                        "This file is a %(kind)s. A briefing paper must be a PDF or a Word "
                        "document (DOCX)."
                    )
                    % {"kind": gettext(kind.label)}
                }
            )
        coverage, _ = IssueCoverage.objects.select_for_update().get_or_create(
            mission=current, cross_cutting_issue=issue
        )
        storage, previous = coverage.briefing.storage, coverage.briefing.name
        coverage.briefing_name = clean_filename(uploaded_file.name or "")
        coverage.briefing_content_type = kind.content_type
        coverage.briefing_size = uploaded_file.size
        coverage.briefing_uploaded_by = user
        coverage.briefing_uploaded_at = timezone.now()
        if not coverage.mode:
            coverage.mode = Mode.BRIEFING
        coverage.updated_by = user
        coverage.briefing.save(coverage.briefing_name, uploaded_file, save=False)
        try:
            coverage.save()
        except Exception:
            storage.delete(coverage.briefing.name)
            raise
        if previous:
            # Only once the new paper is committed: a rollback keeps the old row and its file.
            transaction.on_commit(partial(storage.delete, previous))
    return coverage


# Reminders -------------------------------------------------------------------------------------


def _issue_focal_points(mission: Mission, issue: CrossCuttingIssue) -> list:
    """The issue's focal points who can open the mission (and so upload the paper)."""
    users = (
        get_user_model()
        .objects.filter(
            is_active=True,
            role_assignments__role=Role.CCI_FOCAL_POINT,
            role_assignments__cross_cutting_issue=issue,
        )
        .distinct()
        .order_by("pk")
    )
    return [user for user in users if holds(user, "view_mission", mission)]


def remind_briefings(today: datetime.date | None = None) -> int:
    """Remind cross-cutting issues' focal points of briefing papers still due before departure.

    Sent 14 and 3 days before the start (settings.ICSM_BRIEFING_REMINDER_DAYS), once each per
    mission and start date however often the scheduler runs; a run that missed a day sends
    one reminder for the windows it missed, as long as the mission has not started. Only
    issues not covered in any way are reminded, and only to their own focal points.
    Returns how many notices were created.
    """
    today = today or timezone.localdate()
    days = sorted(settings.ICSM_BRIEFING_REMINDER_DAYS, reverse=True)
    horizon = today + datetime.timedelta(days=max(days))
    candidates = (
        Mission.objects.filter(status__in=ORGANISING_STATES)
        .filter(
            Q(in_country_from__gt=today, in_country_from__lte=horizon)
            | Q(
                in_country_from__isnull=True,
                preferred_start__gt=today,
                preferred_start__lte=horizon,
            )
        )
        .select_related("country")
        .order_by("pk")
    )
    created_count = 0
    for mission in candidates:
        start = mission_start(mission)
        windows = [n for n in days if start - datetime.timedelta(days=n) <= today < start]
        if not windows:
            continue
        # The claims and the notices commit together: a failure leaves the reminders unclaimed.
        with transaction.atomic():
            claimed = []
            for n in windows:
                try:
                    with transaction.atomic():
                        ReminderSent.objects.create(
                            kind=f"briefing_{n}", mission=mission, due_on=start
                        )
                except IntegrityError:
                    continue
                claimed.append(n)
            if not claimed:
                continue
            window = min(claimed)
            created: list[int] = []
            for issue in uncovered_issues(mission):
                created += notify(
                    _issue_focal_points(mission, issue),
                    mission,
                    f"briefing:{mission.pk}:{issue.pk}:{start.isoformat()}:{window}",
                    "missions/email/briefing_reminder",
                    {
                        "issue": issue,
                        "start": start,
                        "days_left": (start - today).days,
                        "issue_url": site_url(
                            reverse("missions:issue_coverage", args=[mission.pk, issue.pk])
                        ),
                    },
                )
        created_count += len(created)
    return created_count


# Logistics: reads ------------------------------------------------------------------------------


def _urgency(due_on: datetime.date | None, done: bool, today: datetime.date) -> str:
    if done or due_on is None:
        return ""
    if due_on < today:
        return "overdue"
    if due_on <= today + datetime.timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return ""


def _progress(status: str, due_days_before: int, start, today) -> tuple[bool, object, str]:
    """A checklist cell's (done, due_on, urgency): the one rule of the grid and the counts."""
    done = status in LogisticsEntry.DONE_STATES
    due_on = start - datetime.timedelta(days=due_days_before) if start else None
    return done, due_on, _urgency(due_on, done, today)


def _counts(cells) -> dict:
    """done, total, overdue and due_soon over (done, urgency) pairs."""
    cells = list(cells)
    return {
        "done": sum(done for done, _urgency in cells),
        "total": len(cells),
        "overdue": sum(urgency == "overdue" for _done, urgency in cells),
        "due_soon": sum(urgency == "due_soon" for _done, urgency in cells),
    }


def _cell(item, participant, entry, start, today) -> dict:
    status = entry.status if entry else LogisticsEntry.Status.TODO
    done, due_on, urgency = _progress(status, item.due_days_before, start, today)
    return {
        "item": item,
        "participant": participant,
        "entry": entry,
        "status": status,
        "status_label": LogisticsEntry.Status(status).label,
        "note": entry.note if entry else "",
        "updated_by": entry.updated_by if entry else None,
        "updated_at": entry.updated_at if entry else None,
        "done": done,
        "due_on": due_on,
        "urgency": urgency,
    }


def logistics_grid(mission: Mission, today: datetime.date | None = None) -> dict:
    """The logistics checklist of a mission, in three queries whatever the team's size.

    Keys: start and end (the dates in the country), starts_on (the start used for due dates),
    items (the per-participant items, in order), mission_cells (one cell per mission-wide
    item), participants (per accepted member: nomination, cells in the order of items, done),
    and counts (done, total, overdue, due_soon). A cell is a dict: item, participant,
    entry, status, status_label, note, updated_by, updated_at, done, due_on, urgency
    ("overdue", "due_soon" or "").
    """
    today = today or timezone.localdate()
    start = mission_start(mission)
    items = list(ChecklistItem.objects.filter(active=True).order_by("order", "name"))
    members = list(team_members(mission))
    entries = {
        (entry.item_id, entry.participant_id): entry
        for entry in LogisticsEntry.objects.filter(mission=mission).select_related("updated_by")
    }
    per_participant = [item for item in items if item.per_participant]
    mission_cells = [
        _cell(item, None, entries.get((item.pk, None)), start, today)
        for item in items
        if not item.per_participant
    ]
    participants = []
    for member in members:
        cells = [
            _cell(item, member, entries.get((item.pk, member.pk)), start, today)
            for item in per_participant
        ]
        participants.append(
            {"nomination": member, "cells": cells, "done": sum(c["done"] for c in cells)}
        )
    every = mission_cells + [cell for row in participants for cell in row["cells"]]
    counts = _counts((cell["done"], cell["urgency"]) for cell in every)
    return {
        "start": mission.in_country_from,
        "end": mission.in_country_to,
        "starts_on": start,
        "items": per_participant,
        "mission_cells": mission_cells,
        "participants": participants,
        "counts": counts,
    }


def logistics_overview(mission: Mission, today: datetime.date | None = None) -> dict:
    """What the planning overview shows of logistics, in three queries (the statuses, not
    the grid's rows with who updated them), those the `logistics_complete` guard reads.

    Keys: dates_set, start, end, done, total, overdue, due_soon, complete (the dates are
    set and every item is done or not needed, as `logistics_complete` asks).
    """
    today = today or timezone.localdate()
    start = mission_start(mission)
    # What the logistics_complete guard reads: read once on the planning page.
    members = [member.pk for member in accepted_members(mission)]
    statuses = logistics_statuses(mission)
    todo = LogisticsEntry.Status.TODO
    cells = []
    for item in active_checklist():
        for participant in members if item.per_participant else [None]:
            status = statuses.get((item.pk, participant), todo)
            done, _due_on, urgency = _progress(status, item.due_days_before, start, today)
            cells.append((done, urgency))
    counts = _counts(cells)
    dates_set = mission.in_country_from is not None and mission.in_country_to is not None
    return {
        "dates_set": dates_set,
        "start": mission.in_country_from,
        "end": mission.in_country_to,
        **counts,
        "complete": dates_set and counts["done"] == counts["total"],
    }


# Logistics: writes -----------------------------------------------------------------------------


def logistics_set_dates(
    mission: Mission | int, user, start: datetime.date, end: datetime.date
) -> Mission:
    """The GCC or the leader set the dates the team is in the country."""
    if start is None:
        raise ValidationError({"in_country_from": gettext("Give the first day in the country.")})
    if end is None:
        raise ValidationError({"in_country_to": gettext("Give the last day in the country.")})
    if end < start:
        raise ValidationError(
            {"in_country_to": gettext("The last day in the country cannot be before the first.")}
        )
    with transaction.atomic():
        current = mission_for_update(user, mission)
        _check_editor(current, user)
        current.in_country_from = start
        current.in_country_to = end
        current.save(update_fields=["in_country_from", "in_country_to", "updated_at"])
    return current


def _member_of(mission: Mission, participant: Nomination | int | None) -> Nomination | None:
    if participant is None:
        return None
    pk = participant.pk if isinstance(participant, Nomination) else participant
    member = Nomination.objects.filter(
        pk=pk, mission=mission, status=Nomination.Status.ACCEPTED
    ).first()
    if member is None:
        raise ValidationError(gettext("This person is not a member of the mission's team."))
    return member


def logistics_update(
    mission: Mission | int,
    user,
    item: ChecklistItem | int,
    participant: Nomination | int | None,
    *,
    status: str,
    note: str = "",
) -> LogisticsEntry | None:
    """Set one checklist item's status (and note), for one team member or the whole mission.

    A per-participant item needs an accepted member of this mission; a mission-wide item
    takes none. Nothing is written when nothing changed, so "who last changed it" stays
    true. Returns the entry (None when there is none and nothing was set).
    """
    note = (note or "").strip()
    if status not in LogisticsEntry.Status.values:
        raise ValidationError({"status": gettext("Choose a status.")})
    if len(note) > LogisticsEntry._meta.get_field("note").max_length:
        raise ValidationError({"note": gettext("Keep the note under 300 characters.")})
    with transaction.atomic():
        current = mission_for_update(user, mission)
        _check_editor(current, user)
        item_pk = item.pk if isinstance(item, ChecklistItem) else item
        checklist_item = ChecklistItem.objects.filter(pk=item_pk, active=True).first()
        if checklist_item is None:
            raise ValidationError(gettext("This checklist item is no longer in use."))
        member = _member_of(current, participant)
        if checklist_item.per_participant and member is None:
            raise ValidationError(
                gettext("“%(item)s” is settled for each team member.")
                % {"item": checklist_item.name}
            )
        if not checklist_item.per_participant and member is not None:
            raise ValidationError(
                gettext("“%(item)s” is settled for the whole mission.")
                % {"item": checklist_item.name}
            )
        entry = (
            LogisticsEntry.objects.select_for_update(of=("self",))
            .filter(mission=current, item=checklist_item, participant=member)
            .first()
        )
        if entry is None:
            if status == LogisticsEntry.Status.TODO and not note:
                return None
            entry = LogisticsEntry(mission=current, item=checklist_item, participant=member)
        elif entry.status == status and entry.note == note:
            return entry
        entry.status = status
        entry.note = note
        entry.updated_by = user
        entry.save()
    return entry


def logistics_save(
    mission: Mission | int,
    user,
    participant: Nomination | int | None,
    cells: list[tuple[ChecklistItem, str, str]],
    travel: dict | None = None,
) -> Nomination | None:
    """Save one row of the checklist at once, all or nothing: (item, status, note) per cell,
    for one team member (with their `travel`: arrival_on, departure_on, counterpart) or, with
    no participant, for the mission-wide items. Errors are keyed `status_<item pk>` and
    `note_<item pk>` as in the page's form."""
    with transaction.atomic():
        for item, status, note in cells:
            try:
                logistics_update(mission, user, item, participant, status=status, note=note)
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    raise ValidationError(
                        {f"{field}_{item.pk}": errors for field, errors in error.error_dict.items()}
                    ) from None
                raise
        if participant is not None and travel is not None:
            return participant_travel_set(participant, user, **travel)
    return None


def participant_travel_set(
    nomination: Nomination | int,
    user,
    arrival_on: datetime.date | None,
    departure_on: datetime.date | None,
    counterpart: str = "",
) -> Nomination:
    """The GCC or the leader record a team member's arrival, departure and country
    counterpart."""
    counterpart = (counterpart or "").strip()
    if arrival_on and departure_on and departure_on < arrival_on:
        raise ValidationError(
            {"departure_on": gettext("The departure cannot be before the arrival.")}
        )
    if len(counterpart) > Nomination._meta.get_field("counterpart").max_length:
        raise ValidationError(
            {"counterpart": gettext("Keep the counterpart under 200 characters.")}
        )
    pk = nomination.pk if isinstance(nomination, Nomination) else nomination
    with transaction.atomic():
        mission_pk = Nomination.objects.filter(pk=pk).values_list("mission_id", flat=True).first()
        if mission_pk is None:
            raise MissionNotFound(gettext("No such team member."))
        current = mission_for_update(user, mission_pk)
        _check_editor(current, user)
        member = _member_of(current, pk)
        member.arrival_on = arrival_on
        member.departure_on = departure_on
        member.counterpart = counterpart
        member.save(update_fields=["arrival_on", "departure_on", "counterpart"])
    return member
