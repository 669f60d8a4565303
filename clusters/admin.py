from django.contrib import admin
from django.db.models import Count

from clusters.models import (
    Country,
    CountryCluster,
    CrossCuttingIssue,
    GlobalCluster,
    Organisation,
    RoleAssignment,
)
from clusters.services import role_grant, role_revoke


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


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Grant by adding, revoke by deleting: both go through the role services."""

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

    @admin.display(description="Scope")
    def scope_display(self, obj):
        return obj.scope or "global"

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = role_grant(obj.user, obj.role, **obj_scope(obj))
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        role_revoke(obj.user, obj.role, **obj_scope(obj))

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("user"):
            role_revoke(obj.user, obj.role, **obj_scope(obj))


def obj_scope(obj: RoleAssignment) -> dict:
    names = ("country", "global_cluster", "cross_cutting_issue", "country_cluster", "organisation")
    return {name: getattr(obj, name) for name in names if getattr(obj, f"{name}_id")}
