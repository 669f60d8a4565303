"""The mission's preparation on the web: cross-cutting issues (how each is covered, briefing
papers) and logistics (dates in the country, the checklist per member and for the mission).
Thin: each view parses the form, calls missions.preparation and renders.

Anyone who sees the mission reads these pages; out of scope answers 404, as everywhere else,
and an action the user may not take is refused (403) with the service's message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clusters.files import private_file_response
from clusters.form_errors import errors_onto
from formats.uploads import download_name
from missions.forms.preparation import BriefingForm, ChecklistForm, CoverageForm, InCountryDatesForm
from missions.models import IssueCoverage, Mission
from missions.models.mission import relevant_issues
from missions.selectors.missions import get_mission_for, organises
from missions.services.preparation import (
    briefing_may_upload,
    briefing_upload,
    briefing_uploader,
    coverage_for,
    coverage_overview,
    coverage_rows,
    coverage_set,
    logistics_grid,
    logistics_save,
    logistics_set_dates,
    mission_start,
    not_editable_message,
    preparation_may_edit,
)

# The service's refusals (missions.services.preparation), checked here before the form is read.
ORGANISERS_ONLY = gettext_lazy("Only the GCC and the mission leader change this.")
UPLOADERS_ONLY = gettext_lazy("Only the issue's focal points and the GCC upload its briefing.")

# Cross-cutting issues --------------------------------------------------------------------------


@login_required
def issues(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    return render(
        request,
        "missions/preparation/issues.html",
        {
            "mission": mission,
            "rows": coverage_rows(mission, request.user),
            "overview": coverage_overview(mission),
            "starts_on": mission_start(mission),
            "may_edit": preparation_may_edit(mission, request.user),
        },
    )


@login_required
def issue_coverage(request: HttpRequest, pk: int, issue_pk: int) -> HttpResponse:
    """One issue: how it is covered (the GCC, the leader) and its briefing paper (the issue's
    focal points, the GCC). POST `action` is "coverage" or "upload"."""
    mission = get_mission_for(request.user, pk)
    issue = get_object_or_404(relevant_issues(mission), pk=issue_pk)
    user = request.user
    coverage_form = briefing_form = None
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "coverage":
                if not organises(user, mission):
                    raise PermissionDenied(ORGANISERS_ONLY)
                if not preparation_may_edit(mission, user):
                    raise ValidationError(not_editable_message(mission))
                coverage_form = CoverageForm(request.POST, mission=mission)
                if coverage_form.is_valid():
                    data = coverage_form.cleaned_data
                    coverage_set(
                        mission,
                        user,
                        issue,
                        mode=data["mode"],
                        member=data["member"],
                        remote_focal_point=data["remote_focal_point"],
                    )
                    messages.success(
                        request, _("How %(issue)s is covered is saved.") % {"issue": issue.name}
                    )
                    return redirect("missions:issue_coverage", pk=mission.pk, issue_pk=issue.pk)
            elif action == "upload":
                if not briefing_uploader(mission, user, issue):
                    raise PermissionDenied(UPLOADERS_ONLY)
                if not briefing_may_upload(mission, user, issue):
                    raise ValidationError(not_editable_message(mission))
                briefing_form = BriefingForm(request.POST, request.FILES)
                if briefing_form.is_valid():
                    briefing_upload(mission, user, issue, briefing_form.cleaned_data["briefing"])
                    messages.success(
                        request,
                        _("The briefing paper on %(issue)s is uploaded.") % {"issue": issue.name},
                    )
                    return redirect("missions:issue_coverage", pk=mission.pk, issue_pk=issue.pk)
            else:
                raise Http404("No such action.")
        except ValidationError as problem:
            form = coverage_form if coverage_form is not None else briefing_form
            error = errors_onto(form if form is not None else Form(), problem)
    may_edit = preparation_may_edit(mission, user)
    may_upload = briefing_may_upload(mission, user, issue)
    coverage = coverage_for(mission, issue)
    if may_edit and coverage_form is None:
        coverage_form = CoverageForm.for_coverage(mission, coverage)
    if may_upload and briefing_form is None:
        briefing_form = BriefingForm()
    row = next(r for r in coverage_rows(mission, user) if r["issue"].pk == issue.pk)
    return render(
        request,
        "missions/preparation/issue_coverage.html",
        {
            "mission": mission,
            "issue": issue,
            "row": row,
            "coverage": coverage,
            "coverage_form": coverage_form if may_edit else None,
            "briefing_form": briefing_form if may_upload else None,
            "starts_on": mission_start(mission),
            "error": error,
        },
    )


@login_required
def briefing(request: HttpRequest, pk: int, issue_pk: int) -> HttpResponse:
    """The briefing paper, to anyone who sees the mission, as a download (never shown inline)."""
    mission = get_mission_for(request.user, pk)
    coverage = get_object_or_404(
        IssueCoverage.objects.exclude(briefing=""), mission=mission, cross_cutting_issue=issue_pk
    )
    return private_file_response(
        request,
        coverage.briefing,
        download_name(coverage.briefing_name, coverage.briefing_content_type),
        coverage.briefing_content_type,
        uploader_id=coverage.briefing_uploaded_by_id,
    )


# Logistics -------------------------------------------------------------------------------------


def _posted(data, prefix: str | None, names=()) -> bool:
    """Whether the page that was saved had this part: a member who joined the team since it
    was shown has no fields in it, and is left as they are."""
    if data is None:
        return False
    if prefix is None:
        return any(name in data for name in names)
    return any(key.startswith(f"{prefix}-") for key in data)


def _logistics_forms(mission: Mission, grid: dict, data=None) -> dict:
    """The page's one form, in parts: the dates, the mission-wide row, and one per member
    (each bound to what was typed, when `data` is the page posted and it had that part)."""
    dates_names = ("in_country_from", "in_country_to")
    dates = InCountryDatesForm(data if _posted(data, None, dates_names) else None, mission=mission)
    mission_prefix = ChecklistForm.prefix_for(None)
    mission_form = ChecklistForm(
        data if _posted(data, mission_prefix) else None, cells=grid["mission_cells"]
    )
    parts = [dates, mission_form]
    for row in grid["participants"]:
        nomination = row["nomination"]
        posted = _posted(data, ChecklistForm.prefix_for(nomination))
        row["form"] = ChecklistForm(
            data if posted else None, cells=row["cells"], nomination=nomination
        )
        parts.append(row["form"])
    return {"dates_form": dates, "mission_form": mission_form, "parts": parts}


def _read_only_rows(grid: dict) -> dict:
    """The checklist's rows for those who only read it, shaped as the forms' rows."""
    for row in grid["participants"]:
        row["rows"] = [{"cell": cell} for cell in row["cells"]]
    return {"mission_rows": [{"cell": cell} for cell in grid["mission_cells"]]}


def _save_part(form: Form, save) -> None:
    """Call `save`; a refusal goes next to the fields of the part it concerns (and the whole
    save is rolled back by the caller)."""
    try:
        save()
    except ValidationError as problem:
        rest = errors_onto(form, problem)
        if rest:
            form.add_error(None, rest)
        raise


def _logistics_save(mission: Mission, user, grid: dict, forms: dict) -> bool:
    """Save what the user changed on the page, every part at once or nothing. Returns
    whether anything was changed."""
    dates_form, mission_form = forms["dates_form"], forms["mission_form"]
    changed = False
    with transaction.atomic():
        dates = dates_form.dates() if dates_form.is_bound else None
        if dates is not None:
            _save_part(dates_form, lambda: logistics_set_dates(mission, user, *dates))
            changed = True
        if mission_form.is_bound and mission_form.changed_cells():
            _save_part(
                mission_form,
                lambda: logistics_save(mission, user, None, mission_form.changed_cells()),
            )
            changed = True
        for row in grid["participants"]:
            form = row["form"]
            if not form.is_bound:
                continue
            cells, travel = form.changed_cells(), form.travel()
            if cells or travel is not None:
                _save_part(
                    form,
                    lambda form=form, cells=cells, travel=travel: logistics_save(
                        mission, user, form.nomination, cells, travel
                    ),
                )
                changed = True
    return changed


@login_required
def logistics(request: HttpRequest, pk: int) -> HttpResponse:
    """The dates in the country and the checklist, on one form: one Save saves every part
    (the dates, the mission-wide items, each member's row), all or nothing, and writes only
    what the user changed. A refusal shows the whole page again with everything typed."""
    mission = get_mission_for(request.user, pk)
    user = request.user
    grid = logistics_grid(mission)
    forms: dict | None = None
    error = ""
    if request.method == "POST":
        if not organises(user, mission):
            raise PermissionDenied(ORGANISERS_ONLY)
        if not preparation_may_edit(mission, user):
            error = not_editable_message(mission)
        else:
            forms = _logistics_forms(mission, grid, request.POST)
            parts = forms["parts"]
            # Every part is checked (not only up to the first wrong one): all errors show.
            checked = [part.is_valid() for part in parts if part.is_bound]
            if all(checked):
                try:
                    changed = _logistics_save(mission, user, grid, forms)
                except ValidationError:
                    error = _("Nothing was saved: correct what is marked below.")
                else:
                    messages.success(
                        request,
                        _("The logistics are saved.")
                        if changed
                        else _("Nothing had changed, so nothing was saved."),
                    )
                    return redirect("missions:logistics", pk=mission.pk)
            else:
                error = _("Nothing was saved: correct what is marked below.")
    may_edit = preparation_may_edit(mission, user)
    if may_edit:
        editing = forms or _logistics_forms(mission, grid)
        parts_context = {k: v for k, v in editing.items() if k != "parts"}
    else:
        parts_context = _read_only_rows(grid)
    context = {
        "mission": mission,
        "grid": grid,
        "may_edit": may_edit,
        "error": error,
        **parts_context,
    }
    return render(request, "missions/preparation/logistics.html", context)
