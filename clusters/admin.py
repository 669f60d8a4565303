from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clusters.models import (
    Country,
    CountryCluster,
    CrossCuttingIssue,
    GlobalCluster,
    Organisation,
    RoleAssignment,
    RoleChange,
)
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
class GlobalClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "lead_agency_list"]
    search_fields = ["name", "code"]
    filter_horizontal = ["lead_agencies"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lead_agencies")

    @admin.display(description="Lead agencies")
    def lead_agency_list(self, obj):
        return ", ".join(str(org) for org in obj.lead_agencies.all())


@admin.register(CrossCuttingIssue)
class CrossCuttingIssueAdmin(admin.ModelAdmin):
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

    @admin.display(description="Partners", ordering="partner_total")
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
    search_fields = ["user__username", "by__username", "scope"]
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
