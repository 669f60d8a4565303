"""Publications in the admin: read-only, with their log (who published or withdrew which
version, when and why). Scoped like every list. Publishing and withdrawing are the leader's,
on the publication page, through the runner."""

from __future__ import annotations

from django.contrib import admin

from missions.admin.scope import ScopedAdminMixin
from missions.selectors.missions import missions_visible_to
from reports.models import Publication, PublicationLog


class PublicationLogInline(admin.TabularInline):
    model = PublicationLog
    fields = ("at", "transition", "version", "user", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-at", "-pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Publication)
class PublicationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("mission", "status", "version", "year", "published_at", "published_by")
    list_filter = ("status", "year")
    list_select_related = ("mission", "published_by")
    search_fields = ("mission__title",)
    date_hierarchy = "published_at"
    fields = (
        "mission",
        "status",
        "version",
        "document",
        "year",
        "summary",
        "published_at",
        "published_by",
        "updated_at",
    )
    readonly_fields = fields
    inlines = [PublicationLogInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(mission__in=missions_visible_to(request.user))
            .select_related("mission", "published_by", "document")
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
