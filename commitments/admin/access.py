"""Who may use the commitments admin: HCSS (and superusers), by their role rows."""

from django.http import Http404
from django.utils.translation import gettext as _

from commitments.selectors.rounds import sees_every_cluster


class HcssAdminMixin:
    """Only HCSS keeps the commitments' reference data and looks at every round; other staff
    get the admin's 403. An object outside the queryset is a 404, never a redirect."""

    def has_module_permission(self, request) -> bool:
        return sees_every_cluster(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return sees_every_cluster(request.user)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("No such %(name)s.") % {"name": self.opts.verbose_name})
        return obj
