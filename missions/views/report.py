"""The mission report on the web: read by everyone who sees the mission, written by the leader
and the team from the day they leave the country (one version per save), marked final by the
leader, with its distribution list kept by the leader and HCSS.

Thin: each view parses its form, calls one service or selector, renders. Out of scope is a
404; a user who sees the mission but may not do what the POST asks is refused (403) with the
service's message, before the form is read. A refused form is the page again (400) with the
errors next to the fields and everything typed, findings included.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clusters.form_errors import errors_onto, show_on_form
from missions.forms.report import (
    RecipientForm,
    ReportFinalForm,
    ReportForm,
    area_choices,
    as_typed,
    finding_formset,
    findings_initial,
)
from missions.models import Mission
from missions.selectors.missions import get_mission_for
from missions.selectors.report import (
    edits_distribution,
    finalises_report,
    findings_by_area,
    findings_of,
    is_final,
    leads_report,
    on_report_team,
    previous_version,
    recipients_of,
    report_for,
    report_sections,
    report_versions,
    version_of,
    writes_report,
)
from missions.services.report import (
    leader_refusal,
    list_refusal,
    recipient_add,
    recipient_remove,
    report_diff,
    report_mark_final,
    report_save,
    report_start,
    writers_refusal,
)
from missions.workflow import REPORT_STATES


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


def _render_report(
    request: HttpRequest,
    mission: Mission,
    *,
    form: ReportForm | None = None,
    formset=None,
    recipient_form: RecipientForm | None = None,
    error: str = "",
    findings_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    report = report_for(mission)
    versions = list(report_versions(mission)) if report else []
    current = versions[0] if versions else None
    may_write = writes_report(user, mission)
    if may_write and current and form is None:
        form = ReportForm(initial=ReportForm.initial_for(current))
        formset = finding_formset(mission, initial=findings_initial(current))
    findings = list(findings_of(current)) if current else []
    keeps_list = edits_distribution(user, mission)
    sees_list = keeps_list or on_report_team(user, mission)
    context = {
        "mission": mission,
        "report": report,
        "current": current,
        "final": bool(current and is_final(current)),
        "sections": report_sections(current) if current else [],
        "finding_groups": findings_by_area(findings),
        "versions": versions,
        "on_team": on_report_team(user, mission),
        "may_write": may_write,
        "may_finalise": finalises_report(user, mission),
        "report_states": REPORT_STATES,
        "form": form if may_write else None,
        "formset": formset if may_write else None,
        "error": error,
        "findings_errors": findings_errors or [],
        "recipients": list(recipients_of(mission)) if sees_list else None,
        "may_keep_list": keeps_list and mission.status in REPORT_STATES,
        "keeps_list": keeps_list,
        "recipient_form": recipient_form or RecipientForm(),
    }
    return render(request, "missions/report/report.html", context, status=status)


def _mission_for(request: HttpRequest, pk: int, allowed, refusal: str) -> Mission:
    """The mission, if the user may act on its report this way. Out of scope is a 404; who
    sees it but may not is refused before the form is read (as the service would)."""
    mission = get_mission_for(request.user, pk)
    if not allowed(request.user, mission):
        raise PermissionDenied(refusal)
    return mission


@login_required
def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_report(request, get_mission_for(request.user, pk))


@login_required
@require_POST
def report_start_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = _mission_for(request, pk, on_report_team, writers_refusal())
    try:
        report_start(mission, request.user)
    except ValidationError as error:
        messages.error(request, _message(error))
    else:
        messages.success(request, _("The report is started: this is version 1."))
    return redirect("missions:report", pk=mission.pk)


@login_required
@require_POST
def report_save_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = _mission_for(request, pk, on_report_team, writers_refusal())
    areas = area_choices(mission)
    form = ReportForm(request.POST)
    formset = finding_formset(mission, request.POST, areas=areas)
    if "more_rows" in request.POST:
        # Nothing is saved: the same text again, with more empty rows for findings.
        return _render_report(request, mission, **_with_more_rows(mission, form, formset, areas))
    if not (form.is_valid() and formset.is_valid()):
        return _render_report(request, mission, form=form, formset=formset, status=400)
    try:
        version = report_save(
            mission,
            request.user,
            base_number=form.cleaned_data["base_number"],
            change_note=form.cleaned_data["change_note"],
            internal_sections=form.internal_sections(),
            findings=formset.findings(),
            **form.sections(),
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            # The findings' refusals (which row, what is wrong) go above the rows; the rest
            # next to their fields.
            problems = dict(error.error_dict)
            findings_errors = [m for e in problems.pop("findings", []) for m in e.messages]
            rest = errors_onto(form, ValidationError(problems))
            if rest:
                form.add_error(None, rest)
            return _render_report(
                request,
                mission,
                form=form,
                formset=formset,
                findings_errors=findings_errors,
                status=400,
            )
        # Keep what the user typed; base it on the version now current, so that saving
        # again, after comparing, is a deliberate choice that goes through.
        current = report_versions(mission).first()
        data = request.POST.copy()
        if current is not None:
            data["base_number"] = str(current.number)
        return _render_report(
            request,
            mission,
            form=ReportForm(data),
            formset=finding_formset(mission, data, areas=areas),
            error=_message(error),
            status=400,
        )
    if version is None:
        messages.info(request, _("Nothing changed, so no new version was saved."))
    else:
        messages.success(request, _("Saved as version %(number)s.") % {"number": version.number})
    return redirect("missions:report", pk=mission.pk)


def _with_more_rows(mission: Mission, form: ReportForm, formset, areas) -> dict:
    """The forms as typed, unbound (no errors yet), with EXTRA_ROWS more empty findings
    (every row typed, even an empty one, stays a row)."""
    return {
        "form": ReportForm(initial=as_typed(form)),
        "formset": finding_formset(
            mission, initial=[as_typed(row) for row in formset.forms], areas=areas
        ),
    }


@login_required
@require_POST
def report_final_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = _mission_for(request, pk, leads_report, leader_refusal())
    form = ReportFinalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the version to mark final."))
        return redirect("missions:report", pk=mission.pk)
    try:
        version = report_mark_final(mission, request.user, number=form.cleaned_data["number"])
    except ValidationError as error:
        messages.error(request, _message(error))
    else:
        messages.success(
            request, _("Version %(number)s is now the final report.") % {"number": version.number}
        )
    return redirect("missions:report", pk=mission.pk)


@login_required
def report_version_view(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    version = version_of(mission, number)
    if version is None:
        raise Http404("No such version.")
    previous = previous_version(version)
    latest_number = report_versions(mission).values_list("number", flat=True).first()
    context = {
        "mission": mission,
        "version": version,
        "previous": previous,
        "sections": report_sections(version),
        "finding_groups": findings_by_area(findings_of(version)),
        "diff": report_diff(previous, version),
        "is_current": version.number == latest_number,
        "final": is_final(version),
    }
    return render(request, "missions/report/version.html", context)


@login_required
@require_POST
def recipient_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = _mission_for(request, pk, edits_distribution, list_refusal())
    form = RecipientForm(request.POST)
    if not form.is_valid():
        return _render_report(request, mission, recipient_form=form, status=400)
    try:
        recipient = recipient_add(mission, request.user, **form.cleaned_data)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            # Not possible now (the mission's state): said at the top, the typing kept.
            return _render_report(
                request, mission, recipient_form=form, error=_message(error), status=400
            )
        show_on_form(form, error)
        return _render_report(request, mission, recipient_form=form, status=400)
    messages.success(
        request,
        _("%(name)s <%(email)s> is on the distribution list.")
        % {"name": recipient.name, "email": recipient.email},
    )
    return redirect(f"{_report_url(mission)}#distribution")


@login_required
@require_POST
def recipient_remove_view(request: HttpRequest, pk: int, recipient_pk: int) -> HttpResponse:
    mission = _mission_for(request, pk, edits_distribution, list_refusal())
    try:
        recipient = recipient_remove(mission, request.user, recipient_pk)
    except ValidationError as error:
        messages.error(request, _message(error))
    else:
        messages.success(
            request,
            _("%(name)s <%(email)s> is off the distribution list.")
            % {"name": recipient.name, "email": recipient.email},
        )
    return redirect(f"{_report_url(mission)}#distribution")


def _report_url(mission: Mission) -> str:
    return reverse("missions:report", args=[mission.pk])
