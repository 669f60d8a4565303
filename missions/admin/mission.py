"""The HCSS desk. Lists go through the scope selector; status changes through the runner.

The admin is not a second writer: on a mission's page HCSS writes only what it owns, the
triage note (through `missions.services.triage`, which checks the permission, the state and
that nobody saved the mission since the page was shown), and takes the steps it may take
(through the runner). Everything else is read-only here; the site's pages change it.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_fsm import ConcurrentTransition

from missions.admin.scope import CountryInScopeFilter, ScopedAdminMixin
from missions.forms.mission import step_inputs
from missions.models import TRANSITION_NAMES, Mission, TransitionLog
from missions.selectors.missions import mission_for_update, missions_visible_to, transitions_for
from missions.services.intake import MissionChanged, mission_version
from missions.services.mission import mission_transition
from missions.services.triage import triage_note_check, triage_note_editable, triage_note_save
from missions.workflow import TransitionError, TransitionNotPermitted, status_in_sentence

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
    gettext_lazy("The request"),
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
# The one field HCSS writes on a mission's admin page.
TRIAGE_NOTE = "triage_note"
# The inputs of a step; on the change page each step's are named after it ("forward-comment").
STEP_INPUTS = ("comment", "reason", "revisit_on")


class WaitingFilter(admin.SimpleListFilter):
    title = gettext_lazy("age since submission")
    parameter_name = "age"
    BANDS = {"lt7": (0, 7), "7to30": (7, 30), "gt30": (30, None)}

    def lookups(self, request, model_admin):
        return [
            ("lt7", _("Under 7 days")),
            ("7to30", _("7 to 30 days")),
            ("gt30", _("Over 30 days")),
        ]

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


class TriageNoteForm(forms.ModelForm):
    """What HCSS writes on a mission's admin page: the triage note, with the version of the
    mission the page showed, so that a save over someone else's is refused."""

    expected_updated_at = forms.CharField(required=False, widget=forms.HiddenInput)
    # Set by MissionDeskMixin.get_form: who saves.
    user = None

    class Meta:
        model = Mission
        fields = [TRIAGE_NOTE]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_updated_at"].initial = mission_version(self.instance)

    def clean(self):
        cleaned = super().clean()
        if TRIAGE_NOTE not in self.fields or TRIAGE_NOTE not in cleaned:
            return cleaned
        try:
            # The same rules the service applies when it writes (it checks them again).
            triage_note_check(
                self.instance, self.user, cleaned[TRIAGE_NOTE], cleaned.get("expected_updated_at")
            )
        except MissionChanged as changed:
            # Shown again with the typed note and the mission as it is now: saving again
            # is then a choice made knowing what changed.
            self.data = self.data.copy()
            self.data[self.add_prefix("expected_updated_at")] = changed.version
            self.add_error(None, changed)
        except forms.ValidationError as refused:
            self.add_error(None, refused)
        return cleaned


class ShownColumnsChangeList(ChangeList):
    """A list page that reads the columns its rows show (the admin's `list_columns`), not the
    forty of a mission with its long texts: a third of the rows' query at fifty rows. The
    actions get the whole rows, from a queryset of their own."""

    def get_results(self, request):
        self.queryset = self.queryset.only(*self.model_admin.list_columns)
        super().get_results(request)


class MissionDeskMixin(ScopedAdminMixin):
    """A mission's page on the HCSS desk: everything read-only but the triage note, and the
    steps the user may take, each taken through the runner.

    The triage note is saved through `triage_note_save`, by the page's Save and by every step
    button alike (a step saves the typed note first, then takes the step), so nothing typed is
    lost. Out-of-scope and missing objects are the same 404 everywhere. `transition_names`
    limits the steps this admin offers (and accepts); `reason_labels` names a step's reason.
    """

    change_form_template = "admin/missions/mission/change_form.html"
    form = TriageNoteForm
    # Fifty rows a page, as every list of missions in the app (Django's 100 doubles the
    # page's rendering, on the phone of a field office too).
    list_per_page = 50
    transition_names: tuple[str, ...] = TRANSITION_NAMES
    reason_labels = {"return_for_revision": gettext_lazy("Questions for the RC/HC office")}
    # What the list's cells read: another column would cost a query a row.
    list_columns = Mission.LIST_FIELDS

    def get_changelist(self, request, **kwargs):
        return ShownColumnsChangeList

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if request.method == "POST" and connection.in_atomic_block:
            # The form checks the note against this row and the service then writes it:
            # locked until the request's transaction ends, nobody saves in between.
            mission_for_update(request.user, obj.pk)
            obj.refresh_from_db()
        return obj

    def get_readonly_fields(self, request, obj=None):
        return [
            name
            for name in flatten_fieldsets(self.get_fieldsets(request, obj))
            if name != TRIAGE_NOTE
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def has_add_permission(self, request):
        return False  # requests come from the RC/HC office, through the site

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is None:
            return allowed
        # Nothing else on the page is HCSS's to write: without the note, it is read-only.
        return allowed and triage_note_editable(obj, request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # a mission ends by a step (cancel, decline), never by deletion

    def save_model(self, request, obj, form, change):
        # The form has checked what the service checks, under the lock get_object took.
        triage_note_save(
            obj.pk,
            request.user,
            form.cleaned_data[TRIAGE_NOTE],
            form.cleaned_data.get("expected_updated_at"),
        )
        request._icsm_note_saved = TRIAGE_NOTE in form.changed_data

    def steps_for(self, request, mission) -> list[dict]:
        """The steps to show on the change page, each with where its button posts. A step
        that only lacks the triage note is not blocked when the note is on the page: the
        button saves the note first."""
        on_page = {TRIAGE_NOTE} if self.has_change_permission(request, mission) else set()
        steps = []
        for step in transitions_for(mission, request.user):
            if step["name"] not in self.transition_names:
                continue
            step["url"] = reverse(
                f"admin:{self._transition_url_name()}", args=[mission.pk, step["name"]]
            )
            step["reason_label"] = self.reason_labels.get(step["name"], _("Reason"))
            step["blocked"] = [item for item in step["missing"] if item.field not in on_page]
            step["on_page"] = [item for item in step["missing"] if item.field in on_page]
            steps.append(step)
        return steps

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if object_id:
            mission = self.get_object(request, object_id)
            extra_context["transitions"] = self.steps_for(request, mission)
            extra_context["note_on_page"] = self.has_change_permission(request, mission)
            # HCSS triages with the request's documents in front of it (HCT minutes, notes).
            extra_context["attachments"] = list(mission.attachments.all()) if mission else []
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ConcurrentTransition:
            self.message_user(
                request,
                _(
                    "Someone changed this mission's status while you were editing it. "
                    "Nothing was saved; here it is as it is now."
                ),
                messages.ERROR,
            )
            # The change page (a step button posts elsewhere, to a URL that takes no GET).
            return HttpResponseRedirect(self._change_url(object_id) if object_id else request.path)

    def response_change(self, request, obj):
        step = getattr(request, "_icsm_step", None)
        if step is None:
            return super().response_change(request, obj)
        if getattr(request, "_icsm_note_saved", False):
            self.message_user(request, _("The triage note is saved."), messages.SUCCESS)
        return self._take_step(request, obj.pk, step)

    def _transition_url_name(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_transition"

    def _change_url(self, pk) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[pk])

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.transition_view))
        return [
            path("<int:pk>/transition/<str:name>/", view, name=self._transition_url_name()),
            *super().get_urls(),
        ]

    def transition_view(self, request, pk, name):
        mission = get_object_or_404(self.get_queryset(request), pk=pk)
        if name not in self.transition_names:
            raise Http404(_("No such step."))
        if TRIAGE_NOTE in request.POST:
            if self.has_change_permission(request, mission):
                # The change page's form, posted by a step button: saved as its Save button
                # would (a refusal shows the page again with what was typed), then the step.
                request._icsm_step = name
                return self.changeform_view(request, str(pk), form_url=self._change_url(pk))
            typed = request.POST[TRIAGE_NOTE].strip()
            if typed and typed != mission.triage_note:
                self.message_user(
                    request,
                    _(
                        "Your triage note was not saved: the request is now %(status)s. "
                        "What you typed: “%(note)s”."
                    )
                    % {"status": mission.status_in_sentence, "note": typed},
                    messages.WARNING,
                )
        return self._take_step(request, pk, name)

    def _take_step(self, request, pk, name):
        try:
            log = mission_transition(pk, name, request.user, **self._step_inputs(request, name))
        except TransitionNotPermitted as error:
            # Staff who see the mission but may not take this step are refused, not sent back.
            raise PermissionDenied(error.message) from None
        except TransitionError as error:
            self.message_user(request, error.message, messages.ERROR)
            for item in error.missing:
                self.message_user(request, item.message, messages.WARNING)
        else:
            self.message_user(
                request,
                _("%(mission)s: now %(status)s.")
                % {"mission": log.mission, "status": status_in_sentence(log.target)},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self.after_step_url(request, pk))

    @staticmethod
    def _step_inputs(request, name: str) -> dict:
        # One form holds every step's fields: this step's are named after it. A post with
        # the plain names (one step's own form) is read as it is.
        post = request.POST.copy()
        for key in STEP_INPUTS:
            if f"{name}-{key}" in post:
                post[key] = post[f"{name}-{key}"]
        return step_inputs(post)

    def after_step_url(self, request, pk) -> str:
        """Where to go after a step: back to the change page."""
        return self._change_url(pk)


@admin.register(Mission)
class MissionAdmin(MissionDeskMixin, admin.ModelAdmin):
    list_display = ["title", "country", "mission_type", "status", "days_since_submission"]
    list_filter = [
        "status",
        ("country", CountryInScopeFilter),
        "mission_type",
        WaitingFilter,
        # Not a date hierarchy: its links are the distinct dates of the whole scope, a scan
        # at every page; these periods cost no query.
        ("created_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["country"]
    search_fields = ["title", "country__name", "country__code", "objectives", "issues"]
    # No second count of the whole scope beside the filtered one ("N of M"): one count a page.
    show_full_result_count = False
    inlines = [TransitionLogInline]
    fieldsets = [
        (
            None,
            {"fields": HEADER_FIELDS},
        ),
        REQUEST_FIELDSET,
        (
            gettext_lazy("Triage"),
            {
                "fields": [TRIAGE_NOTE, "revision_questions"],
                "description": gettext_lazy(
                    "HCSS writes the triage note while the request is submitted or in "
                    "triage. Everything else on this page is read-only: the RC/HC office, "
                    "the HCT, the Task Team, the GCC and the leader change it on the site."
                ),
            },
        ),
        (
            gettext_lazy("Decision"),
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
            gettext_lazy("Planning"),
            {
                "fields": [
                    "decision_communicated_at",
                    ("in_country_from", "in_country_to"),
                    ("team_confirmed_at", "team_confirmed_by"),
                ]
            },
        ),
        (
            gettext_lazy("In country"),
            {"fields": ["country_consultation_on", "cancel_reason"]},
        ),
        (gettext_lazy("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        # The one scope of the list, its counts and the autocomplete (e.g. a follow-up's
        # parent): Django's autocomplete searches this queryset, so it is not ANDed again.
        return missions_visible_to(request.user)

    @admin.display(description=gettext_lazy("Days since submission"), ordering="submitted_at")
    def days_since_submission(self, obj):
        if obj.submitted_at is None:
            return "—"
        return (timezone.now() - obj.submitted_at).days


@admin.register(TransitionLog)
class TransitionLogAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["at", "mission", "transition", "source", "target", "user"]
    list_filter = ["transition", "target"]
    list_select_related = ["mission", "user"]
    search_fields = ["mission__title", "user__username", "user__last_name", "comment", "reason"]
    date_hierarchy = "at"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(mission__in=missions_visible_to(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
