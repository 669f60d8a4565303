"""The framework's versions and their items. A version that a round uses is read-only: a
change of wording is a new version, so that past answers keep what they answered."""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from commitments.admin.access import HcssAdminMixin
from commitments.models import FrameworkItem, FrameworkVersion, ItemKind
from commitments.selectors.rounds import sees_every_cluster


def _in_use(version) -> bool:
    return version is not None and version.pk is not None and version.rounds.exists()


class FrameworkItemInline(TranslationStackedInline):
    model = FrameworkItem
    fields = ["kind", "number", "code", "title", "text", "explanation", "key"]
    extra = 0
    ordering = ["kind", "number"]

    def has_view_permission(self, request, obj=None):
        return sees_every_cluster(request.user)

    def has_add_permission(self, request, obj=None):
        return sees_every_cluster(request.user) and not _in_use(obj)

    def has_change_permission(self, request, obj=None):
        return sees_every_cluster(request.user) and not _in_use(obj)

    def has_delete_permission(self, request, obj=None):
        return sees_every_cluster(request.user) and not _in_use(obj)


@admin.register(FrameworkVersion)
class FrameworkVersionAdmin(HcssAdminMixin, TranslationAdmin):
    list_display = ["number", "name", "commitment_count", "principle_count", "round_count"]
    search_fields = ["name"]
    inlines = [FrameworkItemInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                commitments=Count(
                    "items", filter=Q(items__kind=ItemKind.COMMITMENT), distinct=True
                ),
                principles=Count("items", filter=Q(items__kind=ItemKind.PRINCIPLE), distinct=True),
                round_total=Count("rounds", distinct=True),
            )
        )

    def has_add_permission(self, request):
        return sees_every_cluster(request.user)

    def has_change_permission(self, request, obj=None):
        return sees_every_cluster(request.user) and not _in_use(obj)

    def has_delete_permission(self, request, obj=None):
        return sees_every_cluster(request.user) and not _in_use(obj)

    @admin.display(description=_("Commitments"), ordering="commitments")
    def commitment_count(self, obj):
        return obj.commitments

    @admin.display(description=_("Principles"), ordering="principles")
    def principle_count(self, obj):
        return obj.principles

    @admin.display(description=_("Rounds"), ordering="round_total")
    def round_count(self, obj):
        return obj.round_total
