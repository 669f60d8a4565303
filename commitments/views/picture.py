"""The cluster's picture: one round's aggregate (for a partner with its own answers beside
it; for the coordinator with every organisation's and the cluster's actions), its exports,
and the view across countries for the focal points and HCSS."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clusters.form_errors import show_on_form
from commitments.forms.picture import ActionForm
from commitments.models import MIN_RESPONSES, Round
from commitments.selectors.assessment import own_assessments, round_assessments
from commitments.selectors.picture import (
    RoundPicture,
    across,
    clusters_across_for,
    export_table,
    looks_across,
    own_ratings,
    previous_round,
    round_actions,
    round_picture,
)
from commitments.selectors.rounds import get_round_for, may_coordinate
from commitments.services.assessment import lock_reason
from commitments.services.picture import action_record
from formats.charts import bar_chart
from formats.sheets import csv_bytes, xlsx_bytes


def _charts(picture: RoundPicture) -> dict:
    """Each chart of the round (drawn only where the figures are shown), by name."""
    if not picture.shown:
        return {}

    def scores(figures, title, chart_id):
        shown = [(f"{f.item.number}. {f.item.title}", f.score) for f in figures if f.shown]
        chart = bar_chart(shown, title=title, chart_id=chart_id, unit="%")
        return mark_safe(chart)  # nosec B308 B703 # bar_chart escapes every text it draws

    return {
        "commitments": scores(
            picture.commitments,
            _("Score of each Minimum Commitment (per cent of the possible score)"),
            "commitment-scores",
        ),
        "principles": scores(
            picture.principles,
            _("Score of each Principle of Partnership (per cent of the possible score)"),
            "principle-scores",
        ),
        "obstacles": mark_safe(  # nosec B308 B703 # bar_chart escapes every text it draws
            bar_chart(
                [(o.label, o.organisations) for o in picture.obstacles],
                title=_("Obstacles: how many organisations face each"),
                chart_id="obstacles",
            )
        ),
    }


def _render_round(
    request: HttpRequest, found: Round, *, action_form: ActionForm | None = None, status=200
) -> HttpResponse:
    user = request.user
    picture = round_picture(found)
    coordinating = may_coordinate(user, found.country_cluster_id)
    own = own_assessments(user, found)
    previous = previous_round(found)
    actions = round_actions([found, previous])
    own_answers = own_ratings(own) if own else {}
    for figure in (*picture.commitments, *picture.principles):
        figure.own = own_answers.get(figure.item.pk, [])
    weak = [figure.item.pk for figure in picture.weak]
    context = {
        "round": found,
        "picture": picture,
        "charts": _charts(picture),
        "coordinating": coordinating,
        "open_for_answers": found.accepts_answers(),
        "own": [(a, lock_reason(a)) for a in own],
        "assessments": list(round_assessments(found)) if coordinating else None,
        "previous": previous,
        "actions": actions[found.pk],
        "previous_actions": actions.get(previous.pk, []) if previous else [],
        "action_form": (
            action_form
            or ActionForm(
                round_=found,
                weak=weak,
                commitments=[figure.item for figure in picture.commitments],
            )
        )
        if coordinating
        else None,
        "events": list(found.events.select_related("user")) if coordinating else [],
        "threshold": MIN_RESPONSES,
    }
    return render(request, "commitments/round.html", context, status=status)


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_round(request, get_round_for(request.user, pk))


@login_required
@require_POST
def action_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The coordinator records an action of the cluster on a commitment."""
    found = get_round_for(request.user, pk)
    if not may_coordinate(request.user, found.country_cluster_id):
        raise PermissionDenied(_("Only the cluster's coordinator records its actions."))
    form = ActionForm(request.POST, round_=found)
    if form.is_valid():
        data = form.cleaned_data
        try:
            action_record(
                found,
                request.user,
                item=data["item"],
                text=data["text"],
                owner=data["owner"],
                due_on=data["due_on"],
            )
        except ValidationError as refused:
            show_on_form(form, refused)
        else:
            messages.success(request, _("The cluster's action is recorded."))
            return redirect("commitments:round", pk=found.pk)
    return _render_round(request, found, action_form=form, status=400)


def _export_name(found: Round, extension: str) -> str:
    cluster = found.country_cluster
    stem = slugify(f"commitments {cluster.country.name} {cluster.global_cluster.code}")
    return f"{stem}-{found.period_end:%Y-%m}.{extension}"


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
def round_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's aggregate as CSV: the same figures as the page, hidden below three."""
    found = get_round_for(request.user, pk)
    header, rows = export_table(round_picture(found))
    return _download(csv_bytes(header, rows), "text/csv; charset=utf-8", _export_name(found, "csv"))


@login_required
def round_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_round_for(request.user, pk)
    header, rows = export_table(round_picture(found))
    return _download(
        xlsx_bytes(header, rows, title=_("Commitments")),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _export_name(found, "xlsx"),
    )


@login_required
def across_view(request: HttpRequest) -> HttpResponse:
    """Bands per country and over time: a focal point's global clusters, or every cluster
    for HCSS (`?cluster=<code>` narrows to one global cluster)."""
    user = request.user
    if not looks_across(user):
        raise Http404("No such page.")
    clusters = clusters_across_for(user)
    code = request.GET.get("cluster", "")
    if code:
        clusters = clusters.filter(global_cluster__code=code)
    rows = across(clusters)
    latest = [row.latest for row in rows]
    chart = bar_chart(
        [
            (f"{row.cluster.country.name} ({row.cluster.global_cluster.code})", pic.score)
            for row, pic in zip(rows, latest, strict=True)
            if pic is not None and pic.score is not None
        ],
        title=_("Each cluster's latest score (per cent of the possible score)"),
        chart_id="across-latest",
        unit="%",
    )
    # The columns: the commitments of the newest framework among the latest pictures; an
    # older version's figures go under the same code.
    newest = max(
        (pic for pic in latest if pic is not None),
        key=lambda pic: pic.round.framework.number,
        default=None,
    )
    columns = [figure.item for figure in newest.commitments] if newest else []
    table = []
    for row, pic in zip(rows, latest, strict=True):
        by_code = {f.item.code: f for f in pic.commitments} if pic else {}
        table.append(
            {
                "cluster": row.cluster,
                "pictures": row.trend.pictures,
                "latest": pic,
                # Each figure beside its column's item, so that a cell can name its column.
                "cells": [(item, by_code.get(item.code)) for item in columns],
            }
        )
    global_clusters = sorted(
        {
            (c.global_cluster.code, c.global_cluster.name)
            for c in clusters_across_for(user).select_related("global_cluster")
        },
        key=lambda pair: pair[1],
    )
    return render(
        request,
        "commitments/across.html",
        {
            "rows": table,
            "chart": mark_safe(chart),  # nosec B308 B703 # bar_chart escapes every text it draws
            "columns": columns,
            "global_clusters": global_clusters,
            "chosen": code,
        },
    )
