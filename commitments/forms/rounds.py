"""Opening a round."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clusters.models import CountryCluster
from commitments.models import FrameworkVersion
from commitments.selectors.framework import current_version

DATE_ERROR = {"invalid": _("Give the date as YYYY-MM-DD.")}
# What the form suggests: the last six months, answers due in three weeks.
SUGGESTED_PERIOD_DAYS = 182
SUGGESTED_OPEN_DAYS = 21


class DateInput(forms.DateInput):
    """The browser's date picker, which reads and sends the ISO form only."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class RoundForm(forms.Form):
    period_start = forms.DateField(
        label=_("Period from"), required=False, widget=DateInput, error_messages=DATE_ERROR
    )
    period_end = forms.DateField(
        label=_("Period to"), required=False, widget=DateInput, error_messages=DATE_ERROR
    )
    closes_on = forms.DateField(
        label=_("Answers due by"),
        required=False,
        widget=DateInput,
        error_messages=DATE_ERROR,
        help_text=_("The round closes at the end of this day; answers are locked from then."),
    )
    framework = forms.ModelChoiceField(
        label=_("Framework version"),
        queryset=FrameworkVersion.objects.none(),
        required=False,
        empty_label=None,
    )
    organisations = forms.ModelMultipleChoiceField(
        label=_("Partner organisations invited"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Their representatives are told by e-mail and see the round on their home page."
        ),
    )

    def __init__(self, *args, cluster: CountryCluster, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["framework"].queryset = FrameworkVersion.objects.order_by("-number")
        self.fields["organisations"].queryset = cluster.partners.order_by("name")
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault(
                "period_start", today - datetime.timedelta(SUGGESTED_PERIOD_DAYS)
            )
            self.initial.setdefault("period_end", today)
            self.initial.setdefault("closes_on", today + datetime.timedelta(SUGGESTED_OPEN_DAYS))
            self.initial.setdefault("framework", current_version())
            self.initial.setdefault("organisations", list(cluster.partners.all()))
