from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from modeltranslation.admin import TranslationAdmin

from clusters.models import (
    AuditEvent,
    Country,
    CountryCluster,
    CrossCuttingIssue,
    GlobalCluster,
    Organisation,
    Role,
    RoleAssignment,
    RoleChange,
)
from clusters.receivers import audit_admin_change
from clusters.selectors import user_roles
from clusters.services import GLOBAL_ROLES, role_grant, role_may_assign, role_revoke


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "acronym", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "acronym"]


@admin.register(GlobalCluster)
class GlobalClusterAdmin(TranslationAdmin):
    list_display = ["name", "code", "lead_agency_list"]
    search_fields = ["name", "code"]
    filter_horizontal = ["lead_agencies"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lead_agencies")

    @admin.display(description=gettext_lazy("Lead agencies"))
    def lead_agency_list(self, obj):
        return ", ".join(str(org) for org in obj.lead_agencies.all())


@admin.register(CrossCuttingIssue)
class CrossCuttingIssueAdmin(TranslationAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(CountryCluster)
class CountryClusterAdmin(admin.ModelAdmin):
    list_display = ["global_cluster", "country", "partner_count"]
    list_filter = ["global_cluster"]
    list_select_related = ["global_cluster", "country"]
    search_fields = ["country__name", "global_cluster__name"]
    autocomplete_fields = ["country", "global_cluster", "coordinators", "partners"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(partner_total=Count("partners"))

    @admin.display(description=gettext_lazy("Partners"), ordering="partner_total")
    def partner_count(self, obj):
        return obj.partner_total


def _global_roles_refusal() -> str:
    return _(
        "Only a superuser grants or revokes the %(roles)s roles: they reach every mission. "
        "Nothing was changed."
    ) % {"roles": ", ".join(GLOBAL_ROLES)}


class RoleAssignmentForm(forms.ModelForm):
    """The grant form. The role services decide; this says no next to the role beforehand."""

    # Set by RoleAssignmentAdmin.get_form: the user granting.
    by = None

    class Meta:
        model = RoleAssignment
        fields = [
            "user",
            "role",
            "country",
            "global_cluster",
            "cross_cutting_issue",
            "country_cluster",
            "organisation",
        ]

    def clean_role(self):
        role = self.cleaned_data.get("role")
        if role and not role_may_assign(self.by, role):
            raise ValidationError(_global_roles_refusal())
        return role


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Grant by adding, revoke by deleting: both go through the role services, which log each
    change with who made it. The global roles (hcss, task_team, gcc) only a superuser gives or
    takes away."""

    form = RoleAssignmentForm
    list_display = ["user", "role", "scope_display", "granted_at"]
    list_filter = ["role"]
    list_select_related = [
        "user",
        "country",
        "global_cluster",
        "cross_cutting_issue",
        "country_cluster__country",
        "country_cluster__global_cluster",
        "organisation",
    ]
    search_fields = ["user__username", "user__email", "country__name"]
    autocomplete_fields = [
        "user",
        "country",
        "global_cluster",
        "cross_cutting_issue",
        "country_cluster",
        "organisation",
    ]

    @admin.display(description=gettext_lazy("Scope"))
    def scope_display(self, obj):
        return obj.scope or _("global")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"by": request.user})

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or role_may_assign(request.user, obj.role))

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if (
            obj is not None
            and super().has_delete_permission(request, obj)
            and not role_may_assign(request.user, obj.role)
        ):
            # Said on the page rather than a bare 403: the officer sees why.
            self.message_user(request, _global_roles_refusal(), messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:clusters_roleassignment_change", args=[obj.pk])
            )
        return super().delete_view(request, object_id, extra_context)

    def save_model(self, request, obj, form, change):
        saved = role_grant(obj.user, obj.role, by=request.user, **obj_scope(obj))
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        role_revoke(obj.user, obj.role, by=request.user, **obj_scope(obj))

    def delete_queryset(self, request, queryset):
        refused = 0
        for obj in queryset.select_related("user"):
            try:
                role_revoke(obj.user, obj.role, by=request.user, **obj_scope(obj))
            except PermissionDenied:
                refused += 1
        if refused:
            self.message_user(request, _global_roles_refusal(), messages.ERROR)


def obj_scope(obj: RoleAssignment) -> dict:
    names = ("country", "global_cluster", "cross_cutting_issue", "country_cluster", "organisation")
    return {name: getattr(obj, name) for name in names if getattr(obj, f"{name}_id")}


@admin.register(RoleChange)
class RoleChangeAdmin(admin.ModelAdmin):
    """The log of every grant and revoke: read by HCSS and superusers, changed by nobody."""

    list_display = ["at", "action", "user", "role", "scope_display", "by_display"]
    list_filter = ["action", "role"]
    list_select_related = ["user", "by"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "by__username",
        "scope",
    ]
    date_hierarchy = "at"
    fields = ["at", "action", "user", "role", "scope_display", "by_display"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("Scope"))
    def scope_display(self, obj):
        return obj.scope or _("global")

    @admin.display(description=gettext_lazy("By"), ordering="by__username")
    def by_display(self, obj):
        return obj.by or _("an operator (command line)")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def reads_audit_log(user) -> bool:
    """HCSS reads the audit log (and superusers, who run the installation); nobody else."""
    return bool(user.is_active and (user.is_superuser or Role.HCSS in user_roles(user)))


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, for HCSS to read: nobody adds, changes or deletes an event, here or
    anywhere else (the model, its queryset and, on PostgreSQL, a trigger refuse). The list
    is the whole of it: an event has no page of its own, where a form could be posted."""

    list_display = ["at", "kind", "who", "object_display", "remote_addr", "detail"]
    list_display_links = None
    list_filter = ["kind", "at"]
    list_select_related = ["content_type"]
    search_fields = ["username", "object_repr"]
    date_hierarchy = "at"
    actions = None
    show_full_result_count = False  # the log only grows: no count of all of it on each page

    @admin.display(description=gettext_lazy("Who"), ordering="username")
    def who(self, obj):
        return obj.username or "-"

    @admin.display(description=gettext_lazy("What it was done to"))
    def object_display(self, obj):
        if obj.content_type is None:
            return obj.object_repr or "-"
        return f"{obj.content_type.name}: {obj.object_repr}"

    def has_module_permission(self, request):
        return reads_audit_log(request.user)

    def has_view_permission(self, request, obj=None):
        return reads_audit_log(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        raise PermissionDenied(_("The audit log is read in its list: an event is never changed."))

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied(_("The audit log is append-only: an event is never deleted."))


@admin.action(permissions=["delete"], description=django_delete_selected.short_description)
def delete_selected(modeladmin, request, queryset):
    """Django's "Delete selected", with each deletion in the audit log. The admin logs the
    deletion of several objects at once with bulk_create, which sends no post_save for the
    receiver (clusters.receivers.admin_changed) to hear; a single one it does hear."""
    started = timezone.now()
    newest = LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = django_delete_selected(modeladmin, request, queryset)
    heard = set(
        AuditEvent.objects.filter(kind=AuditEvent.Kind.ADMIN_CHANGE, at__gte=started).values_list(
            "detail__log_entry", flat=True
        )
    )
    entries = LogEntry.objects.filter(
        pk__gt=newest, user_id=request.user.pk, action_flag=DELETION
    ).select_related("user", "content_type")
    for entry in entries:
        if entry.pk not in heard:
            audit_admin_change(entry)
    return response


# For every model of the admin, in place of Django's own.
admin.site.add_action(delete_selected, "delete_selected")
