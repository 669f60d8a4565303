"""Rounds, for HCSS to follow: read-only, with their counts and log."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from commitments.admin.access import HcssAdminMixin
from commitments.models import Round, RoundEvent
from commitments.selectors.rounds import for_display, rounds_visible_to


class RoundEventInline(admin.TabularInline):
    model = RoundEvent
    fields = ["at", "action", "user", "comment"]
    readonly_fields = fields
    extra = 0

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Round)
class RoundAdmin(HcssAdminMixin, admin.ModelAdmin):
    list_display = [
        "country_cluster",
        "period_label",
        "closes_on",
        "status",
        "framework",
        "invited_count",
        "submitted_count",
    ]
    list_filter = ["status", "country_cluster__global_cluster", "country_cluster__country"]
    search_fields = ["country_cluster__country__name", "country_cluster__global_cluster__name"]
    date_hierarchy = "closes_on"
    fields = [
        "country_cluster",
        "framework",
        "period_start",
        "period_end",
        "closes_on",
        "status",
        "opened_by",
        "opened_at",
        "closed_at",
    ]
    readonly_fields = fields
    inlines = [RoundEventInline]

    def get_queryset(self, request):
        return for_display(rounds_visible_to(request.user)).select_related("opened_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Period"), ordering="period_end")
    def period_label(self, obj):
        return obj.period_label

    @admin.display(description=_("Invited"), ordering="invited")
    def invited_count(self, obj):
        return obj.invited

    @admin.display(description=_("Submitted"), ordering="submitted")
    def submitted_count(self, obj):
        return obj.submitted
