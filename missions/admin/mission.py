"""The HCSS desk. Lists go through the scope selector; status changes through the runner."""

from django.contrib import admin, messages
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_fsm import ConcurrentTransition

from missions.forms.mission import step_inputs
from missions.models import TRANSITION_NAMES, Mission, TransitionLog
from missions.selectors.missions import missions_visible_to, transitions_for
from missions.services.mission import mission_transition
from missions.services.permissions import mission_sync_permissions
from missions.workflow import Status, TransitionError

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
