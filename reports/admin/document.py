"""Documents in the admin: read-only, for following renderings and queueing failed ones again.

Scoped like every list: only documents of missions the admin user sees.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy, ngettext

from missions.admin.scope import ScopedAdminMixin
from reports.models import Document
from reports.selectors.document import documents_visible_to
from reports.services.document import document_retry


@admin.register(Document)
class DocumentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "mission",
        "kind",
        "source_version",
        "source_final",
        "language",
        "status",
        "pages",
        "requested_at",
        "finished_at",
    )
    list_filter = ("status", "kind", "language")
    list_select_related = ("mission",)
    search_fields = ("mission__title",)
    date_hierarchy = "requested_at"
    fields = (
        "mission",
        "kind",
        "source_version",
        "source_final",
        "language",
        "status",
        "pages",
        "requested_by",
        "requested_at",
        "started_at",
        "finished_at",
        "error",
    )
    readonly_fields = fields
    actions = ["queue_again"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=documents_visible_to(request.user).values("pk"))
            .select_related("mission", "requested_by")
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(
        description=gettext_lazy("Queue failed or stalled documents again"), permissions=["view"]
    )
    def queue_again(self, request, queryset):
        queued = 0
        for document in queryset:
            try:
                queued += document_retry(document, request.user)
            except PermissionDenied:
                continue
        self.message_user(
            request,
            ngettext(
                "%(count)d document queued again.", "%(count)d documents queued again.", queued
            )
            % {"count": queued},
            messages.SUCCESS if queued else messages.WARNING,
        )
