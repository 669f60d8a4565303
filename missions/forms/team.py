"""Forms of the team: inviting clusters, sharing an invitation, nominating, deciding,
withdrawing.

They check what was typed; who may act, the mission's state and its dates are for the
services (missions.team).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clusters.models import CrossCuttingIssue, GlobalCluster, Organisation
from missions.models import Grade, Invitation, Mission
from missions.services.team import (
    EMAIL_MAX_LENGTH,
    EXPERIENCE_MAX_LENGTH,
    LANGUAGES_MAX_LENGTH,
    MAX_SHARE_ADDRESSES,
    NAME_MAX_LENGTH,
    REASON_MAX_LENGTH,
    parse_addresses,
)

WHOLE_NUMBER = _("Give a whole number, e.g. 10.")


class _Requested(forms.ModelMultipleChoiceField):
    """A checkbox per cluster or issue, marking those the request asked for."""

    def __init__(self, *args, requested: set[int] | None = None, **kwargs):
        self.requested = requested or set()
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj) -> str:
        if obj.pk in self.requested:
            return gettext("%(name)s (asked for in the request)") % {"name": obj.name}
        return obj.name


class InvitationForm(forms.Form):
    """The GCC chooses whom to invite; the request's suggested composition comes preselected.

    Clusters and issues invited already are not offered again (the page lists them).
    """

    clusters = _Requested(
        queryset=GlobalCluster.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Global clusters"),
    )
    issues = _Requested(
        queryset=CrossCuttingIssue.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Cross-cutting issues"),
    )
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
        label=_("Message to the focal points"),
        help_text=_("Optional. It goes with the invitation, above the mission's essentials."),
    )

    def __init__(self, *args, mission: Mission, invitations: list[Invitation], **kwargs):
        super().__init__(*args, **kwargs)
        invited_clusters = {i.global_cluster_id for i in invitations if i.global_cluster_id}
        invited_issues = {i.cross_cutting_issue_id for i in invitations if i.cross_cutting_issue_id}
        requested_clusters = set(mission.requested_clusters.values_list("pk", flat=True))
        requested_issues = set(mission.requested_issues.values_list("pk", flat=True))
        clusters, issues = self.fields["clusters"], self.fields["issues"]
        clusters.queryset = GlobalCluster.objects.exclude(pk__in=invited_clusters)
        clusters.requested = requested_clusters
        issues.queryset = CrossCuttingIssue.objects.exclude(pk__in=invited_issues)
        issues.requested = requested_issues
        self.initial.setdefault("clusters", sorted(requested_clusters - invited_clusters))
        self.initial.setdefault("issues", sorted(requested_issues - invited_issues))
        self.nothing_left = not clusters.queryset.exists() and not issues.queryset.exists()

    def clean(self):
        data = super().clean()
        if not data.get("clusters") and not data.get("issues") and not self.errors:
            self.add_error(
                "clusters", gettext("Choose at least one global cluster or cross-cutting issue.")
            )
        return data


class ShareForm(forms.Form):
    """A focal point passes the invitation on to the cluster's partners."""

    emails = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        label=_("Partners' e-mail addresses"),
        # help_text: set when the form is made (it says the limit).
        error_messages={"required": _("Give at least one e-mail address.")},
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        label=_("Your note to them"),
        help_text=_("Optional, e.g. by when to come back to you with candidates."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["emails"].help_text = gettext(
            "One per line, or separated by commas. At most %(limit)d. "
            "Each address gets its own e-mail: partners do not see one another's addresses."
        ) % {"limit": MAX_SHARE_ADDRESSES}

    def clean_emails(self) -> list[str]:
        try:
            return parse_addresses(self.cleaned_data["emails"])
        except ValidationError as error:
            raise ValidationError(error.messages) from None


class _InvitationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Invitation) -> str:
        return str(obj.invitee)


class NominationForm(forms.Form):
    invitation = _InvitationChoice(
        queryset=Invitation.objects.none(),
        empty_label=None,
        label=_("Nominated through the invitation of"),
    )
    full_name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        label=_("Full name"),
        error_messages={
            "max_length": _(
                "Keep the full name to at most %(limit_value)d characters (it has %(show_value)d)."
            )
        },
    )
    email = forms.EmailField(
        max_length=EMAIL_MAX_LENGTH,
        label=_("E-mail address"),
        help_text=_(
            "If someone already has an ICSM account with this address, they are the "
            "participant. Otherwise an account is made for them and they receive an e-mail to "
            "set their password."
        ),
        error_messages={
            "invalid": _("Give a valid e-mail address, e.g. name@agency.org."),
            "max_length": _(
                "Keep the e-mail address to at most %(limit_value)d characters "
                "(it has %(show_value)d)."
            ),
        },
    )
    agency = forms.ModelChoiceField(
        queryset=Organisation.objects.order_by("name"),
        label=_("Agency"),
        help_text=_(
            "The organisation they work for. On the mission they represent the clusters "
            "and issues below, not their agency."
        ),
    )
    clusters = forms.ModelMultipleChoiceField(
        queryset=GlobalCluster.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Clusters represented"),
    )
    cross_cutting_issues = forms.ModelMultipleChoiceField(
        queryset=CrossCuttingIssue.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Cross-cutting issues represented"),
    )
    years_in_field = forms.IntegerField(
        min_value=0,
        max_value=99,
        label=_("Years of humanitarian field experience"),
        error_messages={"invalid": WHOLE_NUMBER},
    )
    previous_missions = forms.IntegerField(
        min_value=0,
        max_value=99,
        initial=0,
        label=_("Previous support missions"),
        error_messages={"invalid": WHOLE_NUMBER},
    )
    languages = forms.CharField(
        label=_("Languages"),
        max_length=LANGUAGES_MAX_LENGTH,
        help_text=_("The languages they work in, e.g. English, French, Urdu."),
        error_messages={
            "max_length": _(
                "Keep the languages to at most %(limit_value)d characters (it has %(show_value)d)."
            )
        },
    )
    grade = forms.TypedChoiceField(
        choices=[("", _("Choose a grade")), *Grade.choices],
        coerce=int,
        label=_("Grade"),
        help_text=_("UN common system grade, or its equivalent in their organisation."),
    )
    available_from = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        label=_("Available from"),
        error_messages={"invalid": _("Give a date, e.g. 2026-03-01.")},
    )
    available_to = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        label=_("Available until"),
        error_messages={"invalid": _("Give a date, e.g. 2026-03-21.")},
    )
    experience = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=EXPERIENCE_MAX_LENGTH,
        label=_("Relevant experience"),
        help_text=_("Earlier missions, coordination roles, country or regional experience."),
        error_messages={
            "max_length": _(
                "Keep the experience to at most %(limit_value)d characters (it has %(show_value)d)."
            )
        },
    )

    def __init__(
        self, *args, invitations: list[Invitation], chosen: Invitation | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["invitation"].queryset = Invitation.objects.filter(
            pk__in=[i.pk for i in invitations]
        ).select_related("global_cluster", "cross_cutting_issue")
        if chosen is not None and not self.is_bound:
            self.initial["invitation"] = chosen.pk
            # A participant usually represents the cluster that nominates them.
            if chosen.global_cluster_id:
                self.initial["clusters"] = [chosen.global_cluster_id]
            else:
                self.initial["cross_cutting_issues"] = [chosen.cross_cutting_issue_id]

    def clean(self):
        data = super().clean()
        start, end = data.get("available_from"), data.get("available_to")
        if start and end and end < start:
            self.add_error("available_to", gettext("The end of availability is before its start."))
        if (
            "clusters" in data
            and "cross_cutting_issues" in data
            and not data["clusters"]
            and not data["cross_cutting_issues"]
        ):
            self.add_error(
                "clusters",
                gettext("Choose the cluster(s) or cross-cutting issue(s) they represent."),
            )
        return data

    def nomination_fields(self) -> dict:
        """The keyword arguments of missions.team.nomination_create."""
        return {name: value for name, value in self.cleaned_data.items() if name != "invitation"}


class DecisionForm(forms.Form):
    """The GCC's decision on one nomination; the reason is read by the focal point and the
    participant."""

    decision = forms.ChoiceField(
        choices=[("accept", _("Accept: they join the team")), ("decline", _("Decline"))],
        widget=forms.RadioSelect,
        label=_("Decision"),
        error_messages={"required": _("Choose to accept or to decline.")},
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=REASON_MAX_LENGTH,
        label=_("Reason"),
        help_text=_("Required either way. The focal point and the participant read it."),
        error_messages={
            "required": _("Give a reason: the focal point and the participant will read it.")
        },
    )

    @property
    def accept(self) -> bool:
        return self.cleaned_data["decision"] == "accept"


class WithdrawForm(forms.Form):
    """Withdrawing a nomination asks first, with the reason the participant and the GCC read."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=REASON_MAX_LENGTH,
        label=_("Reason for the withdrawal"),
        help_text=_("Required. The participant is told, and it stays in the nomination's history."),
        error_messages={
            "required": _("Give a reason: the participant and the GCC will read it."),
            "max_length": _(
                "Keep the reason to at most %(limit_value)d characters (it has %(show_value)d)."
            ),
        },
    )
