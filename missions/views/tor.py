"""The Terms of Reference on the web: read by everyone who sees the mission, edited by the GCC
and the leader while the mission is planned, one version per save.

Thin: each view parses a form, calls one service or selector, renders. Out of scope is a 404;
a user who sees the mission but may not edit its ToR is refused (403) with the service's
message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from missions.forms.tor import ToRFinalForm, ToRForm
from missions.models import Mission, ToRVersion
from missions.selectors.missions import get_mission_for, organises
from missions.services.tor import (
    SECTIONS,
    section_label,
    tor_diff,
    tor_for,
    tor_mark_final,
    tor_may_edit,
    tor_save,
    tor_start,
    tor_versions,
)


def _sections(version: ToRVersion | None) -> list[dict]:
    if version is None:
        return []
    return [
        {"name": name, "label": section_label(name), "text": getattr(version, name)}
        for name in SECTIONS
    ]


def _render_tor(
    request: HttpRequest, mission: Mission, *, form: ToRForm | None = None, error: str = ""
) -> HttpResponse:
    tor = tor_for(mission)
    versions = list(tor_versions(mission)) if tor else []
    current = versions[0] if versions else None
    may_edit = tor_may_edit(mission, request.user)
    if may_edit and current and form is None:
        form = ToRForm.for_version(current)
    context = {
        "mission": mission,
        "tor": tor,
        "current": current,
        "sections": _sections(current),
        "final": bool(current and tor.final_version_id == current.pk),
        "versions": versions,
        "is_editor": organises(request.user, mission),
        "may_edit": may_edit,
        "form": form if may_edit else None,
        "error": error,
    }
    return render(request, "missions/tor/tor.html", context)


def _editor_mission(request: HttpRequest, pk: int) -> Mission:
    """The mission, if the user is one of its ToR's editors. Out of scope is a 404; who sees
    it but does not edit its ToR is refused before the form is read (as the service would)."""
    mission = get_mission_for(request.user, pk)
    if not organises(request.user, mission):
        raise PermissionDenied(_("You may not edit these Terms of Reference."))
    return mission


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
def tor_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_tor(request, get_mission_for(request.user, pk))


@login_required
@require_POST
def tor_start_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = _editor_mission(request, pk)
    try:
        tor_start(mission, request.user)
    except ValidationError as error:
        messages.error(request, _message(error))
    else:
        messages.success(request, _("The Terms of Reference are started: this is version 1."))
    return redirect("missions:tor", pk=mission.pk)


@login_required
@require_POST
def tor_save_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = _editor_mission(request, pk)
    form = ToRForm(request.POST)
    if not form.is_valid():
        return _render_tor(request, mission, form=form)
    try:
        version = tor_save(
            mission,
            request.user,
            base_number=form.cleaned_data["base_number"],
            change_note=form.cleaned_data["change_note"],
            **form.sections(),
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
            return _render_tor(request, mission, form=form)
        # Keep what the user typed; base it on the version now current, so that saving
        # again, after comparing, is a deliberate choice that goes through.
        current = tor_versions(mission).first()
        data = request.POST.copy()
        if current is not None:
            data["base_number"] = str(current.number)
        return _render_tor(request, mission, form=ToRForm(data), error=_message(error))
    if version is None:
        messages.info(request, _("Nothing changed, so no new version was saved."))
    else:
        messages.success(request, _("Saved as version %(number)s.") % {"number": version.number})
    return redirect("missions:tor", pk=mission.pk)


@login_required
@require_POST
def tor_final_view(request: HttpRequest, pk: int) -> HttpResponse:
    mission = _editor_mission(request, pk)
    form = ToRFinalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the version to mark final."))
        return redirect("missions:tor", pk=mission.pk)
    try:
        version = tor_mark_final(mission, request.user, number=form.cleaned_data["number"])
    except ValidationError as error:
        messages.error(request, _message(error))
    else:
        messages.success(
            request, _("Version %(number)s is now the final ToR.") % {"number": version.number}
        )
    return redirect("missions:tor", pk=mission.pk)


@login_required
def tor_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    version = get_object_or_404(
        ToRVersion.objects.select_related("author", "tor"), tor__mission=mission, number=number
    )
    previous = ToRVersion.objects.filter(tor=version.tor, number=number - 1).first()
    latest_number = tor_versions(mission).values_list("number", flat=True).first()
    context = {
        "mission": mission,
        "version": version,
        "previous": previous,
        "sections": _sections(version),
        "diff": tor_diff(previous, version),
        "is_current": version.number == latest_number,
        "final": version.tor.final_version_id == version.pk,
    }
    return render(request, "missions/tor/version.html", context)
