"""What every admin of scoped rows shares: outside the user's scope is a 404."""

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils.html import format_html
from django.utils.translation import gettext as _

from clusters.models import Country


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

    def action_checkbox(self, obj):
        """The row's checkbox, as Django's (same name, class and label), written directly:
        Django renders a form widget through the template engine on each row, the most
        costly cell of a page of 100 rows."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), obj),
        )


class CountryInScopeFilter(admin.RelatedOnlyFieldListFilter):
    """The countries that have a row in the admin's scope. Django's RelatedOnly reads the
    distinct countries of the whole scope; this asks, country by country, whether one row
    exists (an index probe each, a few hundred countries instead of every row)."""

    def field_choices(self, field, request, model_admin):
        scope = model_admin.get_queryset(request).order_by()
        countries = Country.objects.filter(Exists(scope.filter(country=OuterRef("pk"))))
        return [(country.pk, str(country)) for country in countries.order_by("name")]
