"""The HCSS desk. Lists go through the scope selector; status changes through the runner."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from formats.charts import bar_chart
from missions.admin.mission import (
    HEADER_FIELDS,
    REQUEST_FIELDSET,
    TRIAGE_NOTE,
    MissionDeskMixin,
    TransitionLogInline,
)

# What a mission is and where it stands: the top of both the mission and the triage pages.
from missions.admin.scope import CountryInScopeFilter
from missions.models import TriageRequest
from missions.selectors.dashboard import TOP_COUNTRIES, dashboard_figures
from missions.selectors.missions import missions_visible_to
from missions.selectors.triage import (
    days_waiting,
    is_overdue,
    overdue_cutoff,
    triage_target_days,
)
from missions.services.mission import mission_transition
from missions.workflow import TRIAGE_QUEUE_STATES, TransitionError


class TriageStatusFilter(admin.SimpleListFilter):
    title = gettext_lazy("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(status.value, status.label) for status in TRIAGE_QUEUE_STATES]

    def queryset(self, request, queryset):
        if self.value() in TRIAGE_QUEUE_STATES:
            return queryset.filter(status=self.value())
        return queryset


class WaitingTooLongFilter(admin.SimpleListFilter):
    title = gettext_lazy("waiting too long")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        days = triage_target_days()
        return [
            (
                "yes",
                ngettext("Yes: over %(days)d day", "Yes: over %(days)d days", days)
                % {"days": days},
            ),
            ("no", _("No")),
        ]

    def queryset(self, request, queryset):
        cutoff = overdue_cutoff()
        if self.value() == "yes":
            return queryset.filter(submitted_at__lte=cutoff)
        if self.value() == "no":
            return queryset.filter(Q(submitted_at__gt=cutoff) | Q(submitted_at__isnull=True))
        return queryset


@admin.register(TriageRequest)
class TriageRequestAdmin(MissionDeskMixin, admin.ModelAdmin):
    """HCSS's daily queue: requests submitted or in triage, oldest first."""

    list_display = ["title", "country", "mission_type", "status", "waiting"]
    list_filter = [
        TriageStatusFilter,
        ("country", CountryInScopeFilter),
        "mission_type",
        WaitingTooLongFilter,
    ]
    list_select_related = ["country"]
    search_fields = ["title", "country__name", "country__code"]
    ordering = ["submitted_at", "pk"]
    show_full_result_count = False
    actions = ["start_triage"]
    transition_names = ("start_triage", "return_for_revision", "forward")
    inlines = [TransitionLogInline]
    # HCSS reads the request as the RC/HC office wrote it; the triage note is its own part,
    # and the only field it writes here (MissionDeskMixin makes the rest read-only).
    fieldsets = [
        (
            None,
            {"fields": [*HEADER_FIELDS, "waiting"]},
        ),
        REQUEST_FIELDSET,
        (
            gettext_lazy("Triage"),
            {
                "fields": [TRIAGE_NOTE, "revision_questions"],
                "description": gettext_lazy(
                    "The triage note records that you checked the request is complete; "
                    "the request cannot go to the Task Team without it. Questions for the "
                    "RC/HC office go with 'Return for revision' below. Each step below saves "
                    "the note first, as Save does."
                ),
            },
        ),
    ]

    def get_queryset(self, request):
        # The scope built on the proxy itself: no second reading of the missions to match
        # the queue to the ids in scope.
        return missions_visible_to(request.user, TriageRequest).filter(
            status__in=TRIAGE_QUEUE_STATES
        )

    @admin.display(description=gettext_lazy("Days waiting"), ordering="-submitted_at")
    def waiting(self, obj):
        days = days_waiting(obj.submitted_at)
        if days is None:
            return "—"
        text = ngettext("%(days)d day", "%(days)d days", days) % {"days": days}
        if not is_overdue(days):
            return text
        target = triage_target_days()
        warning = ngettext(
            "%(waiting)s, over the %(target)d-day target",
            "%(waiting)s, over the %(target)d-day target",
            target,
        ) % {"waiting": text, "target": target}
        return format_html(
            '<strong class="icsm-overdue"><span aria-hidden="true">⚠</span> {}</strong>',
            warning,
        )

    def after_step_url(self, request, pk) -> str:
        if self.get_queryset(request).filter(pk=pk).exists():
            return super().after_step_url(request, pk)
        # Returned or forwarded: it has left the queue, so back to the queue.
        return reverse("admin:missions_triagerequest_changelist")

    @admin.action(
        description=gettext_lazy("Start triage of the selected requests"), permissions=["change"]
    )
    def start_triage(self, request, queryset):
        moved, refused = [], []
        for mission in queryset.order_by("submitted_at", "pk"):
            try:
                mission_transition(mission.pk, "start_triage", request.user)
            except TransitionError as error:
                refused.append((mission, error))
            else:
                moved.append(mission)
        if moved:
            self.message_user(
                request,
                ngettext(
                    "Triage started on %(count)d request.",
                    "Triage started on %(count)d requests.",
                    len(moved),
                )
                % {"count": len(moved)},
                messages.SUCCESS,
            )
        for mission, error in refused:
            details = " ".join([error.message, *(item.message for item in error.missing)])
            self.message_user(
                request,
                _("'%(mission)s' was not moved: %(details)s")
                % {"mission": mission, "details": details},
                messages.WARNING,
            )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": _("Triage queue"),
            "triage_target_days": triage_target_days(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        dashboard = self.admin_site.admin_view(self.dashboard_view)
        return [path("dashboard/", dashboard, name="missions_dashboard"), *super().get_urls()]

    def dashboard_view(self, request):
        """HCSS's overview: where the missions it may see stand, and how long each step takes."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        figures = dashboard_figures(request.user)
        charts = [
            {
                "id": "by-state",
                "title": _("Missions by state"),
                "rows": figures["states"],
                "heading": _("State"),
                "unit": "",
                "value_heading": _("Missions"),
            },
            {
                "id": "by-country",
                "title": _("Missions by country (top %(count)d)") % {"count": TOP_COUNTRIES},
                "rows": figures["countries"],
                "heading": _("Country"),
                "unit": "",
                "value_heading": _("Missions"),
            },
            {
                "id": "by-month",
                "title": _("Requests submitted per month (last 12 months)"),
                "rows": figures["months"],
                "heading": _("Month"),
                "unit": "",
                "value_heading": _("Requests submitted"),
            },
            {
                "id": "time-in-state",
                "title": _("Median days spent in each state"),
                "note": _("Counted from the transition log: only stays that have ended."),
                "rows": figures["time_in_state"],
                "heading": _("State"),
                "unit": pgettext("chart unit", "days"),
                "value_heading": _("Median days"),
            },
        ]
        for chart in charts:
            chart["svg"] = mark_safe(  # nosec B308 B703 # bar_chart escapes every text it writes
                bar_chart(
                    chart["rows"], title=chart["title"], chart_id=chart["id"], unit=chart["unit"]
                )
            )
        queue_url = reverse("admin:missions_triagerequest_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("HCSS dashboard"),
            "opts": self.opts,
            "figures": figures,
            "charts": charts,
            "queue_url": queue_url,
            "overdue_url": f"{queue_url}?overdue=yes",
            "triage_target_days": triage_target_days(),
        }
        return TemplateResponse(request, "admin/missions/dashboard.html", context)
