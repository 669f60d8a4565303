"""What every admin of scoped rows shares: outside the user's scope is a 404."""

from django.http import Http404
from django.utils.translation import gettext as _


class ScopedAdminMixin:
    """For an admin whose `get_queryset` goes through a scope selector (`missions_visible_to`,
    `lessons_visible_to`, ...). An object outside the scope, or not there at all, is the same
    404 on every page of one object (change, history, delete, and the custom URLs that look
    it up with `get_object`), never a redirect or a 403 that would tell it exists."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("No such %(name)s.") % {"name": self.opts.verbose_name})
        return obj
