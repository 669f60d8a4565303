"""The HCSS desk. Lists go through the scope selector; status changes through the runner."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_fsm import ConcurrentTransition

from missions.charts import bar_chart
from missions.dashboard import TOP_COUNTRIES, dashboard_figures
from missions.models import TRANSITION_NAMES, Mission, Status, TransitionLog, TriageRequest
from missions.permissions import mission_sync_permissions
from missions.selectors import missions_visible_to, transitions_for
from missions.services import TransitionError, mission_transition
from missions.triage import (
    TRIAGE_QUEUE_STATES,
    days_waiting,
    is_overdue,
    overdue_cutoff,
    triage_target_days,
)
from missions.views.mission import step_inputs

# What a mission is and where it stands: the top of both the mission and the triage pages.
HEADER_FIELDS = [
    "title",
    "country",
    "mission_type",
    "parent",
    "status",
    "requested_by",
    "submitted_at",
]
# The request as the RC/HC office wrote it, on both the mission's page and the triage queue's.
REQUEST_FIELDSET = (
    "The request",
    {
        "fields": [
            "issues",
            "objectives",
            "deliverables",
            ("preferred_start", "preferred_end"),
            "suggested_team_size",
            "requested_clusters",
            "requested_issues",
            "composition_notes",
            "security_constraints",
            "planned_evaluations",
            ("hct_endorsed_on", "hct_endorsement_record"),
            ("revision_answer",),
            "country_contacts",
        ]
    },
)


class WaitingFilter(admin.SimpleListFilter):
    title = "age since submission"
    parameter_name = "age"
    BANDS = {"lt7": (0, 7), "7to30": (7, 30), "gt30": (30, None)}

    def lookups(self, request, model_admin):
        return [("lt7", "Under 7 days"), ("7to30", "7 to 30 days"), ("gt30", "Over 30 days")]

    def queryset(self, request, queryset):
        if self.value() not in self.BANDS:
            return queryset
        low, high = self.BANDS[self.value()]
        now = timezone.now()
        condition = Q(submitted_at__lte=now - timezone.timedelta(days=low))
        if high is not None:
            condition &= Q(submitted_at__gt=now - timezone.timedelta(days=high))
        return queryset.filter(condition)


class TransitionLogInline(admin.TabularInline):
    model = TransitionLog
    fields = ["at", "transition", "source", "target", "user", "reason", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["at", "pk"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class TransitionStepsMixin:
    """A change page that offers the steps the user may take, each taken through the runner.

    Out-of-scope and missing objects are the same 404. `transition_names` limits the steps
    this admin offers (and accepts); `reason_labels` names the reason field of a step.
    """

    change_form_template = "admin/missions/mission/change_form.html"
    transition_names: tuple[str, ...] = TRANSITION_NAMES
    reason_labels = {"return_for_revision": "Questions for the RC/HC office"}

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Out of scope or not there: the same 404, never a hint that it exists.
            raise Http404("No such mission.")
        return obj

    def steps_for(self, request, mission) -> list[dict]:
        """The steps to show on the change page, each with where its form posts."""
        steps = []
        for step in transitions_for(mission, request.user):
            if step["name"] not in self.transition_names:
                continue
            step["url"] = reverse(
                f"admin:{self._transition_url_name()}", args=[mission.pk, step["name"]]
            )
            step["reason_label"] = self.reason_labels.get(step["name"], "Reason")
            steps.append(step)
        return steps

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if object_id:
            mission = self.get_object(request, object_id)
            extra_context["transitions"] = self.steps_for(request, mission)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ConcurrentTransition:
            self.message_user(
                request,
                "Someone changed this mission's status while you were "
                "editing it. Nothing was saved; here it is as it is now.",
                messages.ERROR,
            )
            return HttpResponseRedirect(request.path)

    def _transition_url_name(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_transition"

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.transition_view))
        return [
            path("<int:pk>/transition/<str:name>/", view, name=self._transition_url_name()),
            *super().get_urls(),
        ]

    def transition_view(self, request, pk, name):
        mission = get_object_or_404(self.get_queryset(request), pk=pk)
        if name not in self.transition_names:
            raise Http404("No such step.")
        try:
            log = mission_transition(mission, name, request.user, **step_inputs(request.POST))
        except TransitionError as error:
            self.message_user(request, error.message, messages.ERROR)
            for item in error.missing:
                self.message_user(request, item.message, messages.WARNING)
        else:
            self.message_user(
                request, f"{mission}: now {Status(log.target).label.lower()}.", messages.SUCCESS
            )
        return HttpResponseRedirect(self.after_step_url(request, pk))

    def after_step_url(self, request, pk) -> str:
        """Where to go after a step: back to the change page."""
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[pk])


@admin.register(Mission)
class MissionAdmin(TransitionStepsMixin, admin.ModelAdmin):
    list_display = ["title", "country", "mission_type", "status", "days_since_submission"]
    list_filter = [
        "status",
        ("country", admin.RelatedOnlyFieldListFilter),
        "mission_type",
        WaitingFilter,
    ]
    list_select_related = ["country"]
    search_fields = ["title", "country__name", "country__code", "objectives", "issues"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "status",
        "submitted_at",
        "revision_questions",
        "decision_reason",
        "revisit_on",
        "decided_at",
        "decision_communicated_at",
        "team_confirmed_at",
        "team_confirmed_by",
        "cancel_reason",
        "created_at",
        "updated_at",
    ]
    autocomplete_fields = ["country", "parent", "requested_by"]
    filter_horizontal = ["requested_clusters", "requested_issues"]
    inlines = [TransitionLogInline]
    fieldsets = [
        (
            None,
            {"fields": HEADER_FIELDS},
        ),
        REQUEST_FIELDSET,
        ("Triage", {"fields": ["triage_note", "revision_questions"]}),
        (
            "Decision",
            {
                "fields": [
                    ("priority_score", "priority_rank"),
                    "agreed_focus",
                    "draft_tor",
                    "decision_reason",
                    "revisit_on",
                    "decided_at",
                ]
            },
        ),
        (
            "Planning",
            {
                "fields": [
                    "decision_communicated_at",
                    ("in_country_from", "in_country_to"),
                    ("team_confirmed_at", "team_confirmed_by"),
                ]
            },
        ),
        ("In country", {"fields": ["country_consultation_on", "cancel_reason"]}),
    ]

    def get_queryset(self, request):
        return missions_visible_to(request.user)

    def get_search_results(self, request, queryset, search_term):
        # Autocomplete (e.g. a follow-up's parent) searches only what the user may see.
        return super().get_search_results(
            request, queryset & self.get_queryset(request), search_term
        )

    @admin.display(description="Days since submission", ordering="submitted_at")
    def days_since_submission(self, obj):
        if obj.submitted_at is None:
            return "—"
        return (timezone.now() - obj.submitted_at).days

    def save_model(self, request, obj, form, change):
        obj.save()
        if not change or "country" in form.changed_data:
            mission_sync_permissions(obj)


@admin.register(TransitionLog)
class TransitionLogAdmin(admin.ModelAdmin):
    list_display = ["at", "mission", "transition", "source", "target", "user"]
    list_filter = ["transition", "target"]
    list_select_related = ["mission", "user"]
    search_fields = ["mission__title", "user__username", "comment", "reason"]
    date_hierarchy = "at"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(mission__in=missions_visible_to(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TriageStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(status.value, status.label) for status in TRIAGE_QUEUE_STATES]

    def queryset(self, request, queryset):
        if self.value() in TRIAGE_QUEUE_STATES:
            return queryset.filter(status=self.value())
        return queryset


class WaitingTooLongFilter(admin.SimpleListFilter):
    title = "waiting too long"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", f"Yes: over {triage_target_days()} days"), ("no", "No")]

    def queryset(self, request, queryset):
        cutoff = overdue_cutoff()
        if self.value() == "yes":
            return queryset.filter(submitted_at__lte=cutoff)
        if self.value() == "no":
            return queryset.filter(Q(submitted_at__gt=cutoff) | Q(submitted_at__isnull=True))
        return queryset


@admin.register(TriageRequest)
class TriageRequestAdmin(TransitionStepsMixin, admin.ModelAdmin):
    """HCSS's daily queue: requests submitted or in triage, oldest first."""

    list_display = ["title", "country", "mission_type", "status", "waiting"]
    list_filter = [
        TriageStatusFilter,
        ("country", admin.RelatedOnlyFieldListFilter),
        "mission_type",
        WaitingTooLongFilter,
    ]
    list_select_related = ["country"]
    search_fields = ["title", "country__name", "country__code"]
    ordering = ["submitted_at", "pk"]
    actions = ["start_triage"]
    transition_names = ("start_triage", "return_for_revision", "forward")
    inlines = [TransitionLogInline]
    # HCSS reads the request as the RC/HC office wrote it; the triage note is its own part.
    fieldsets = [
        (
            None,
            {"fields": [*HEADER_FIELDS, "waiting"]},
        ),
        REQUEST_FIELDSET,
        (
            "Triage",
            {
                "fields": ["triage_note", "revision_questions"],
                "description": (
                    "The triage note records that you checked the request is complete; "
                    "the request cannot go to the Task Team without it. Questions for the "
                    "RC/HC office go with 'Return for revision' below."
                ),
            },
        ),
    ]
    readonly_fields = [
        name
        for _, options in fieldsets
        for entry in options["fields"]
        for name in (entry if isinstance(entry, tuple) else (entry,))
        if name != "triage_note"
    ]

    def get_queryset(self, request):
        in_queue = missions_visible_to(request.user).filter(status__in=TRIAGE_QUEUE_STATES)
        # The selector returns Missions; the admin of a proxy wants its own class.
        return TriageRequest.objects.filter(pk__in=in_queue.values("pk"))

    def has_add_permission(self, request):
        return False  # requests come from the RC/HC office, through the site

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Days waiting", ordering="-submitted_at")
    def waiting(self, obj):
        days = days_waiting(obj.submitted_at)
        if days is None:
            return "—"
        text = f"{days} day" if days == 1 else f"{days} days"
        if not is_overdue(days):
            return text
        return format_html(
            '<strong class="icsm-overdue" style="color: var(--error-fg, #ba2121)">'
            '<span aria-hidden="true">⚠</span> {}, over the {}-day target</strong>',
            text,
            triage_target_days(),
        )

    def save_model(self, request, obj, form, change):
        # Only the triage note is edited here: write only it, so an edit made to the
        # request meanwhile (on the site or in the mission admin) is not overwritten.
        obj.save(update_fields=["triage_note", "updated_at"])

    def after_step_url(self, request, pk) -> str:
        if self.get_queryset(request).filter(pk=pk).exists():
            return super().after_step_url(request, pk)
        # Returned or forwarded: it has left the queue, so back to the queue.
        return reverse("admin:missions_triagerequest_changelist")

    @admin.action(description="Start triage of the selected requests", permissions=["change"])
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
                f"Triage started on {len(moved)} request{'' if len(moved) == 1 else 's'}.",
                messages.SUCCESS,
            )
        for mission, error in refused:
            details = " ".join([error.message, *(item.message for item in error.missing)])
            self.message_user(request, f"'{mission}' was not moved: {details}", messages.WARNING)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": "Triage queue",
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
                "title": "Missions by state",
                "rows": figures["states"],
                "heading": "State",
                "unit": "",
                "value_heading": "Missions",
            },
            {
                "id": "by-country",
                "title": f"Missions by country (top {TOP_COUNTRIES})",
                "rows": figures["countries"],
                "heading": "Country",
                "unit": "",
                "value_heading": "Missions",
            },
            {
                "id": "by-month",
                "title": "Requests submitted per month (last 12 months)",
                "rows": figures["months"],
                "heading": "Month",
                "unit": "",
                "value_heading": "Requests submitted",
            },
            {
                "id": "time-in-state",
                "title": "Median days spent in each state",
                "note": "Counted from the transition log: only stays that have ended.",
                "rows": figures["time_in_state"],
                "heading": "State",
                "unit": "days",
                "value_heading": "Median days",
            },
        ]
        for chart in charts:
            # bar_chart escapes every label and value it writes.
            chart["svg"] = mark_safe(
                bar_chart(
                    chart["rows"], title=chart["title"], chart_id=chart["id"], unit=chart["unit"]
                )
            )
        queue_url = reverse("admin:missions_triagerequest_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "HCSS dashboard",
            "opts": self.opts,
            "figures": figures,
            "charts": charts,
            "queue_url": queue_url,
            "overdue_url": f"{queue_url}?overdue=yes",
            "triage_target_days": triage_target_days(),
        }
        return TemplateResponse(request, "admin/missions/dashboard.html", context)


# Planning's admin lives beside this one; importing it registers it.
from missions import admin_planning  # noqa: E402, F401
