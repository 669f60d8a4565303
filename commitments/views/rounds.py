"""Clusters and their rounds: the user's overview, a cluster's rounds over time, opening and
closing a round."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clusters.form_errors import show_on_form
from commitments.forms.rounds import RoundForm
from commitments.selectors.assessment import assessments_answered_by
from commitments.selectors.picture import cluster_trend, looks_across
from commitments.selectors.rounds import (
    cluster_rounds,
    clusters_visible_to,
    get_cluster_for,
    get_round_for,
    may_coordinate,
    open_rounds_for,
)
from commitments.services.rounds import round_close, round_open
from formats.charts import bar_chart


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """What the user has here: the clusters they see, their open rounds, their organisation's
    self-assessments."""
    user = request.user
    clusters = (
        clusters_visible_to(user)
        .select_related("country", "global_cluster")
        .annotate(round_count=Count("commitment_rounds"))
        .order_by("country__name", "global_cluster__name")
    )
    assessments = (
        assessments_answered_by(user)
        .select_related(
            "organisation",
            "round__country_cluster__country",
            "round__country_cluster__global_cluster",
        )
        .order_by("-round__period_end", "-pk")
    )
    return render(
        request,
        "commitments/index.html",
        {
            "clusters": clusters[:200],
            "open_rounds": open_rounds_for(user),
            "assessments": assessments[:50],
            "looks_across": looks_across(user),
        },
    )


@login_required
def cluster(request: HttpRequest, pk: int) -> HttpResponse:
    """A country cluster's rounds and how its picture moves over them."""
    found = get_cluster_for(request.user, pk)
    trend = cluster_trend(found)
    chart = bar_chart(
        [(p.round.period_label, p.score) for p in trend.pictures if p.score is not None],
        title=_("The cluster's score over its rounds (per cent of the possible score)"),
        chart_id="cluster-trend",
        unit="%",
    )
    return render(
        request,
        "commitments/cluster.html",
        {
            "cluster": found,
            "rounds": cluster_rounds(found),
            "trend": trend,
            "chart": mark_safe(chart),  # nosec B308 B703 # bar_chart escapes every text it draws
            "coordinating": may_coordinate(request.user, found),
        },
    )


@login_required
def round_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The coordinator opens a round for the cluster's partners."""
    found = get_cluster_for(request.user, pk)
    if not may_coordinate(request.user, found):
        raise PermissionDenied(_("Only the cluster's coordinator opens a round."))
    status = 200
    if request.method == "POST":
        form = RoundForm(request.POST, cluster=found)
        if form.is_valid():
            data = form.cleaned_data
            try:
                opened = round_open(
                    found,
                    request.user,
                    framework=data["framework"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    closes_on=data["closes_on"],
                    organisations=data["organisations"],
                )
            except ValidationError as refused:
                show_on_form(form, refused)
            else:
                messages.success(
                    request,
                    _("The round is open: the invited partners are told by e-mail."),
                )
                return redirect("commitments:round", pk=opened.pk)
        status = 400
    else:
        form = RoundForm(cluster=found)
    return render(
        request, "commitments/round_form.html", {"cluster": found, "form": form}, status=status
    )


@login_required
@require_POST
def round_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The coordinator closes the round (answers are locked from then)."""
    found = get_round_for(request.user, pk)
    try:
        round_close(found, request.user, request.POST.get("comment", ""))
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        messages.success(request, _("The round is closed: its answers are locked."))
    return redirect("commitments:round", pk=found.pk)
