"""The mission's preparation on the web: cross-cutting issues (how each is covered, briefing
papers) and logistics (dates in the country, the checklist per member and for the mission).
Thin: each view parses the form, calls missions.preparation and renders.

Anyone who sees the mission reads these pages; out of scope or out of role for an action
answers 404, as everywhere else.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from formats.people import person
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
from missions.views.errors import errors_onto
from missions.views.files import private_file_response

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
                    raise Http404("No such page.")
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
                    messages.success(request, f"How {issue.name} is covered is saved.")
                    return redirect("missions:issue_coverage", pk=mission.pk, issue_pk=issue.pk)
            elif action == "upload":
                if not briefing_uploader(mission, user, issue):
                    raise Http404("No such page.")
                if not briefing_may_upload(mission, user, issue):
                    raise ValidationError(not_editable_message(mission))
                briefing_form = BriefingForm(request.POST, request.FILES)
                if briefing_form.is_valid():
                    briefing_upload(mission, user, issue, briefing_form.cleaned_data["briefing"])
                    messages.success(request, f"The briefing paper on {issue.name} is uploaded.")
                    return redirect("missions:issue_coverage", pk=mission.pk, issue_pk=issue.pk)
            else:
                raise Http404("No such action.")
        except PermissionDenied:
            raise Http404("No such page.") from None
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
        coverage.briefing,
        download_name(coverage.briefing_name, coverage.briefing_content_type),
        coverage.briefing_content_type,
    )


# Logistics -------------------------------------------------------------------------------------


def _logistics_forms(mission: Mission, grid: dict, bound: dict) -> dict:
    """The page's forms for the GCC and the leader: the dates, the mission-wide row, and one
    per member (the posted one bound, with what was typed)."""
    dates = bound.get("dates")
    if dates is None:
        dates = InCountryDatesForm(
            initial={
                "in_country_from": mission.in_country_from,
                "in_country_to": mission.in_country_to,
            }
        )
    mission_form = bound.get("mission")
    if mission_form is None:
        mission_form = ChecklistForm(cells=grid["mission_cells"])
    for row in grid["participants"]:
        nomination = row["nomination"]
        row["form"] = bound.get(nomination.pk)
        if row["form"] is None:
            row["form"] = ChecklistForm(cells=row["cells"], nomination=nomination)
    return {"dates_form": dates, "mission_form": mission_form}


def _read_only_rows(grid: dict) -> dict:
    """The checklist's rows for those who only read it, shaped as the forms' rows."""
    for row in grid["participants"]:
        row["rows"] = [{"cell": cell} for cell in row["cells"]]
    return {"mission_rows": [{"cell": cell} for cell in grid["mission_cells"]]}


@login_required
def logistics(request: HttpRequest, pk: int) -> HttpResponse:
    """The dates in the country and the checklist. POST `action` is "dates", "mission" (the
    mission-wide items) or "participant" (one member's row, with `participant`)."""
    mission = get_mission_for(request.user, pk)
    user = request.user
    grid = logistics_grid(mission)
    bound: dict = {}
    error = ""
    if request.method == "POST":
        if not organises(user, mission):
            raise Http404("No such page.")
        action = request.POST.get("action")
        form: Form = Form()
        try:
            if not preparation_may_edit(mission, user):
                raise ValidationError(not_editable_message(mission))
            if action == "dates":
                form = bound["dates"] = InCountryDatesForm(request.POST)
                if form.is_valid():
                    logistics_set_dates(
                        mission,
                        user,
                        form.cleaned_data["in_country_from"],
                        form.cleaned_data["in_country_to"],
                    )
                    messages.success(request, "The dates in the country are saved.")
                    return redirect(reverse("missions:logistics", args=[mission.pk]) + "#dates")
            elif action == "mission":
                form = bound["mission"] = ChecklistForm(request.POST, cells=grid["mission_cells"])
                if form.is_valid():
                    logistics_save(mission, user, None, form.changes())
                    messages.success(request, "The mission-wide items are saved.")
                    return redirect(
                        reverse("missions:logistics", args=[mission.pk]) + "#mission-wide"
                    )
            elif action == "participant":
                rows = {str(row["nomination"].pk): row for row in grid["participants"]}
                row = rows.get(request.POST.get("participant", ""))
                if row is None:
                    raise Http404("No such team member.")
                nomination = row["nomination"]
                form = bound[nomination.pk] = ChecklistForm(
                    request.POST, cells=row["cells"], nomination=nomination
                )
                if form.is_valid():
                    logistics_save(mission, user, nomination, form.changes(), form.travel())
                    name = person(nomination.participant)
                    messages.success(request, f"The logistics of {name} are saved.")
                    return redirect(
                        reverse("missions:logistics", args=[mission.pk])
                        + f"#member-{nomination.pk}"
                    )
            else:
                raise Http404("No such action.")
        except PermissionDenied:
            raise Http404("No such page.") from None
        except ValidationError as problem:
            error = errors_onto(form, problem)
    may_edit = preparation_may_edit(mission, user)
    context = {
        "mission": mission,
        "grid": grid,
        "may_edit": may_edit,
        "error": error,
        **(_logistics_forms(mission, grid, bound) if may_edit else _read_only_rows(grid)),
    }
    return render(request, "missions/preparation/logistics.html", context)
