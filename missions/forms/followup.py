"""Forms of the follow-up: the tracker's filters, an action point (drafted in the country,
edited later), a progress update with its evidence, an improvement plan and its comments.

They check what was typed (a date is a date, a choice one of the choices, the owner a real
user) and say what is wrong next to the field; what a point needs, who may do what and what
an evidence file really is are decided by missions.services.followup.
"""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import validate_email
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from clusters.models import CountryCluster, GlobalCluster, Organisation
from missions.models import ActionPoint, ImprovementPlan, Mission
from missions.models.followup import PointStatus
from missions.selectors.followup import TrackerFilters
from missions.services.followup import EVIDENCE_MAX_FILES, POINT_FIELDS, TEXT_MAX_LENGTH

DATE_WIDGET = {"type": "date"}
# The longest user name or e-mail address a user can have.
OWNER_MAX_LENGTH = 254


def _choices(choices, empty: str) -> list[tuple[str, str]]:
    return [("", empty), *choices]


class TrackerFilterForm(forms.Form):
    """The tracker's filters (GET). A value that is not one of the choices narrows nothing
    and is marked at its field."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_choices(PointStatus.choices, _("Any status"))
    )
    addressee = forms.ChoiceField(
        label=_("Addressed to"),
        required=False,
        choices=_choices(ActionPoint.Addressee.choices, _("Anyone")),
    )
    cluster = forms.ModelChoiceField(
        label=_("Cluster"),
        required=False,
        queryset=GlobalCluster.objects.order_by("name"),
        empty_label=_("Any cluster"),
    )
    level = forms.ChoiceField(
        label=_("Level"),
        required=False,
        choices=_choices(ActionPoint.Level.choices, _("Any level")),
    )
    due_before = forms.DateField(
        label=_("Due on or before"),
        required=False,
        widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
        error_messages={"invalid": _("Give a date (YYYY-MM-DD).")},
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, **kwargs):
        # Ids of their own: the filters share the page with the point's form.
        kwargs.setdefault("auto_id", "filter_%s")
        super().__init__(*args, **kwargs)
        field = self.fields["cluster"]
        field.choices = lambda: [
            ("", field.empty_label),
            *((pk, str(cluster)) for pk, cluster in self.clusters.items()),
        ]

    @cached_property
    def clusters(self) -> dict[int, GlobalCluster]:
        """Every cluster by key, in the choices' order: read once, for the choices and for the
        clusters of the page's points (`with_shared`)."""
        return {cluster.pk: cluster for cluster in self.fields["cluster"].queryset}

    def filters(self) -> TrackerFilters:
        """The filters to apply: the valid ones (an unbound form filters nothing)."""
        if not self.is_bound:
            return TrackerFilters()
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        cluster = data.get("cluster")
        return TrackerFilters(
            status=data.get("status") or "",
            addressee=data.get("addressee") or "",
            cluster=cluster.pk if cluster else None,
            level=data.get("level") or "",
            due_before=data.get("due_before"),
            overdue=bool(data.get("overdue")),
        )

    def active(self) -> bool:
        return self.filters() != TrackerFilters()


class OwnerField(forms.CharField):
    """The owner of a point, typed as their user name or e-mail address."""

    default_error_messages = {
        "unknown": _(
            "No active user has this user name: give their user name, or the e-mail address of "
            "someone new to ICSM (they will be invited to set a password)."
        ),
        "ambiguous": _("Several users have this e-mail address: give the user name."),
    }

    def to_python(self, value):
        value = super().to_python(value).strip()
        if not value:
            return None
        if len(value) > OWNER_MAX_LENGTH:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        users = list(
            get_user_model()
            .objects.filter(is_active=True)
            .filter(Q(username__iexact=value) | Q(email__iexact=value))[:2]
        )
        exact = [user for user in users if user.username.lower() == value.lower()]
        if exact:
            return exact[0]
        if not users:
            # Someone new to ICSM: an address, for whom the service makes an account.
            try:
                validate_email(value)
            except forms.ValidationError:
                raise forms.ValidationError(
                    self.error_messages["unknown"], code="unknown"
                ) from None
            return value
        if len(users) > 1:
            raise forms.ValidationError(self.error_messages["ambiguous"], code="ambiguous")
        return users[0]

    def prepare_value(self, value):
        if isinstance(value, get_user_model()):
            return value.username
        return value


class ActionPointForm(forms.Form):
    """An action point's content, for drafting it and for editing it later.

    Fields the service requires (the text, the addressee of the chosen kind) are not required
    here: the service says what is missing, at the same fields.
    """

    text = forms.CharField(
        label=_("Recommendation"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    addressee_kind = forms.ChoiceField(
        label=_("Addressed to"),
        required=False,
        choices=_choices(ActionPoint.Addressee.choices, _("Choose who it is addressed to")),
        help_text=_("Then choose the organisation or cluster, or name the role, below."),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        required=False,
        queryset=Organisation.objects.order_by("name"),
        empty_label=_("(for “An organisation”)"),
    )
    global_cluster = forms.ModelChoiceField(
        label=_("Global cluster"),
        required=False,
        queryset=GlobalCluster.objects.order_by("name"),
        empty_label=_("(for “A global cluster”)"),
    )
    country_cluster = forms.ModelChoiceField(
        label=_("Country cluster"),
        required=False,
        queryset=CountryCluster.objects.none(),
        empty_label=_("(for “A country cluster”)"),
    )
    addressee_role = forms.CharField(
        label=_("Role"),
        required=False,
        max_length=ActionPoint._meta.get_field("addressee_role").max_length,
        help_text=_("For “A role”: e.g. the RC/HC, the HCT, the inter-cluster group."),
    )
    level = forms.ChoiceField(
        label=_("Level"), choices=ActionPoint.Level.choices, initial=ActionPoint.Level.COUNTRY
    )
    owner = OwnerField(
        label=_("Owner"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": OWNER_MAX_LENGTH, "autocomplete": "off"}),
        help_text=_(
            "Who reports progress: their user name or e-mail address in ICSM, or the e-mail "
            "address of someone new to ICSM, who is then invited."
        ),
    )
    due_on = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
        error_messages={"invalid": _("Give the due date as a date (YYYY-MM-DD).")},
    )
    indicator = forms.CharField(
        label=_("Indicator"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("How progress is measured."),
    )
    verification = forms.CharField(
        label=_("Means of verification"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    resources = forms.CharField(
        label=_("Resource notes (funding, capacity)"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=ActionPoint.Priority.choices,
        initial=ActionPoint.Priority.NORMAL,
        help_text=_("A high-priority point counts as done once another team member verifies it."),
    )
    clusters = forms.ModelMultipleChoiceField(
        label=_("Clusters concerned"),
        required=False,
        queryset=GlobalCluster.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
    )
    plan = forms.ModelChoiceField(
        label=_("Improvement plan"),
        required=False,
        queryset=ImprovementPlan.objects.none(),
        empty_label=_("None"),
    )
    # The point's `updated_at` when the page was opened: a save refuses what someone else
    # saved meanwhile.
    expected_updated_at = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, mission: Mission, **kwargs):
        super().__init__(*args, **kwargs)
        self.mission = mission
        self.fields["country_cluster"].queryset = CountryCluster.objects.filter(
            country=mission.country_id
        ).select_related("global_cluster", "country")
        self.fields["plan"].queryset = ImprovementPlan.objects.filter(
            mission=mission
        ).select_related("country_cluster__global_cluster")
        self.fields["plan"].label_from_instance = lambda plan: str(
            plan.country_cluster.global_cluster
        )

    @classmethod
    def for_point(cls, point: ActionPoint, data=None) -> ActionPointForm:
        initial = {name: getattr(point, name) for name in POINT_FIELDS if name != "clusters"}
        initial["clusters"] = [cluster.pk for cluster in point.clusters.all()]
        initial["expected_updated_at"] = point.updated_at.isoformat()
        return cls(data, mission=point.mission, initial=initial)

    def clean_expected_updated_at(self) -> datetime.datetime | None:
        value = (self.cleaned_data.get("expected_updated_at") or "").strip()
        if not value:
            return None
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None:
            raise forms.ValidationError(_("Open the page again before saving."))
        return parsed

    def point_fields(self) -> dict:
        """What the services take: the point's fields as typed."""
        return {name: self.cleaned_data[name] for name in POINT_FIELDS}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; each is checked as a file here, and by its content in
    the service."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        cleaned = super().clean(data, initial)
        return [cleaned] if cleaned else []


class ProgressForm(forms.Form):
    text = forms.CharField(
        label=_("What was done"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    percent = forms.IntegerField(
        label=_("How far is it (per cent)?"),
        required=False,
        min_value=0,
        max_value=100,
        error_messages={"invalid": _("Give a whole number between 0 and 100.")},
    )
    files = MultipleFileField(
        label=_("Evidence"),
        required=False,
        error_messages={"empty": _("This file is empty.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = _(
            "Up to %(count)s files (PDF, Word, Excel, images), each at most %(size)s. "
            "A file cannot be kept if the page comes back with an error: choose it again."
        ) % {
            "count": EVIDENCE_MAX_FILES,
            "size": filesizeformat(settings.ICSM_ATTACHMENT_MAX_BYTES),
        }


class PlanForm(forms.Form):
    country_cluster = forms.ModelChoiceField(
        label=_("Country cluster"),
        queryset=CountryCluster.objects.none(),
        empty_label=_("Choose the cluster"),
        error_messages={
            "required": _("Choose the cluster whose plan it is."),
            "invalid_choice": _("Choose a cluster of the mission's country."),
        },
    )
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, mission: Mission, **kwargs):
        # Ids of their own: the plan's form shares the page with the point's.
        kwargs.setdefault("auto_id", "plan_%s")
        super().__init__(*args, **kwargs)
        self.fields["country_cluster"].queryset = CountryCluster.objects.filter(
            country=mission.country_id
        ).select_related("global_cluster", "country")
        self.fields["country_cluster"].label_from_instance = lambda cluster: str(
            cluster.global_cluster
        )


class PlanCommentForm(forms.Form):
    text = forms.CharField(
        label=_("Your comment"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
