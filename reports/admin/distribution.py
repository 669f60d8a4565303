"""Deliveries of the report in the admin: read-only, for following who was sent which version,
how each e-mail fared and who downloaded it. Scoped like every list: only deliveries of
missions the admin user sees. (Sending is the distribution page's, through the outbox.)"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from missions.admin.scope import ScopedAdminMixin
from missions.selectors.missions import missions_visible_to
from reports.models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "mission",
        "name",
        "email",
        "version",
        "email_state",
        "emailed_at",
        "first_downloaded_at",
        "downloads",
    )
    list_filter = ("notification__email_state", "version")
    list_select_related = ("mission", "notification")
    search_fields = ("mission__title", "email", "name")
    date_hierarchy = "created_at"
    fields = (
        "mission",
        "recipient",
        "name",
        "email",
        "version",
        "document",
        "email_state",
        "email_attempts",
        "email_error",
        "emailed_at",
        "created_at",
        "first_downloaded_at",
        "downloads",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(mission__in=missions_visible_to(request.user))
            .select_related("mission", "notification", "recipient", "document")
        )

    @admin.display(description=_("e-mail"), ordering="notification__email_state")
    def email_state(self, delivery: Delivery) -> str:
        notification = delivery.notification
        return notification.get_email_state_display() if notification else "—"

    @admin.display(description=_("attempts"))
    def email_attempts(self, delivery: Delivery) -> int:
        return delivery.notification.email_attempts if delivery.notification else 0

    @admin.display(description=_("last error"))
    def email_error(self, delivery: Delivery) -> str:
        return delivery.notification.email_error if delivery.notification else ""

    @admin.display(description=_("sent at"), ordering="notification__emailed_at")
    def emailed_at(self, delivery: Delivery):
        return delivery.notification.emailed_at if delivery.notification else None

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
