"""The admin of planning: the checklist items (data HCSS keeps), and read-only views of what
the GCC's pages record. Every list is limited to the missions the user may see.

The election is shown so that nothing links a voter to a candidate: ballots say who voted,
candidates carry counts, and counts appear only once the round is closed.
"""

from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from modeltranslation.admin import TranslationAdmin

from missions.admin.scope import ScopedAdminMixin
from missions.models import (
    Ballot,
    Candidate,
    ChecklistItem,
    Election,
    Invitation,
    Lesson,
    Nomination,
)
from missions.selectors.lessons import lessons_visible_to
from missions.selectors.missions import missions_visible_to
from missions.services.election import MIN_BALLOTS


class ScopedReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Rows of the missions the user may see, read-only: the pages are where they change.
    A row of a mission out of scope is a 404, as everywhere."""

    def get_queryset(self, request):
        return super().get_queryset(request).filter(mission__in=missions_visible_to(request.user))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChecklistItem)
class ChecklistItemAdmin(TranslationAdmin):
    list_display = ["name", "per_participant", "due_days_before", "order", "active"]
    list_editable = ["order", "active"]
    list_filter = ["per_participant", "active"]
    search_fields = ["name", "description"]


@admin.register(Invitation)
class InvitationAdmin(ScopedReadOnlyAdmin):
    list_display = ["mission", "global_cluster", "cross_cutting_issue", "invited_at", "shared_at"]
    list_select_related = ["mission", "global_cluster", "cross_cutting_issue"]
    search_fields = ["mission__title"]


@admin.register(Nomination)
class NominationAdmin(ScopedReadOnlyAdmin):
    list_display = ["participant", "mission", "agency", "grade", "status", "decided_at"]
    list_filter = ["status", "grade"]
    list_select_related = ["participant", "mission", "agency"]
    search_fields = ["mission__title", "participant__username", "participant__last_name"]


class CandidateInline(admin.TabularInline):
    model = Candidate
    fields = ["member", "statement", "tally"]
    readonly_fields = fields
    can_delete = False
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member__participant", "election")

    @admin.display(description=gettext_lazy("Votes"))
    def tally(self, candidate):
        # Counts while a round is open would tell the last voters how the others voted; a
        # round with fewer than three ballots would tell each voter how the others voted.
        election = candidate.election
        if not election.closed_at:
            return _("— (round open)")
        if election.is_agreed:
            return _("— (agreed openly)")
        if election.ballots.filter(cast_at__isnull=False).count() < MIN_BALLOTS:
            return _("— (too few ballots to show)")
        return candidate.votes

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Election)
class ElectionAdmin(ScopedReadOnlyAdmin):
    list_display = ["mission", "round", "mode", "opened_at", "closes_at", "closed_at", "winner"]
    list_select_related = ["mission", "winner"]
    fields = [
        "mission",
        "round",
        "mode",
        "tie_rule",
        "opened_at",
        "closes_at",
        "closed_at",
        "winner",
        "outcome",
        "agreement",
    ]
    readonly_fields = fields
    inlines = [CandidateInline]


@admin.register(Ballot)
class BallotAdmin(ScopedReadOnlyAdmin):
    """Who has voted (public), never for whom: a ballot has no candidate."""

    list_display = ["member", "election", "cast_at"]
    list_select_related = ["member__participant", "election__mission"]
    fields = ["member", "election", "cast_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return Ballot.objects.filter(
            election__mission__in=missions_visible_to(request.user)
        ).select_related("member__participant", "election__mission")


@admin.register(Lesson)
class LessonAdmin(ScopedReadOnlyAdmin):
    list_display = ["title", "kind", "country", "mission", "created_at"]
    list_filter = ["kind", ("country", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["country", "mission"]
    search_fields = ["title", "text", "tags"]

    def get_queryset(self, request):
        # The lessons' own scope rule, as on the site.
        return lessons_visible_to(request.user)

    def has_delete_permission(self, request, obj=None):
        # HCSS may take down a lesson that should not be shared.
        return request.user.has_perm("missions.delete_lesson")
