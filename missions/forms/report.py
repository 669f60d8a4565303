"""Forms of the mission report: its sections with their visibility, the findings as rows of
a formset (a few empty rows to fill, more on demand, no JavaScript), marking a version final,
and an address for the distribution list.

They check what was typed; who may write, whether the version is still current and whether
a finding's cluster is one of the mission's are for missions.services.report.
"""

from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from clusters.models import CrossCuttingIssue
from missions.models import Mission, ReportVersion
from missions.selectors.report import SECTIONS, finding_clusters, findings_of, section_label
from missions.services.report import (
    ALWAYS_INTERNAL,
    CHANGE_NOTE_MAX_LENGTH,
    CHOOSABLE_SECTIONS,
    EMAIL_MAX_LENGTH,
    FINDING_MAX_LENGTH,
    FINDINGS_MAX,
    NAME_MAX_LENGTH,
    ORGANISATION_MAX_LENGTH,
    SECTION_MAX_LENGTH,
)
from missions.workflow import NUL_MESSAGE

COORDINATION = ""
FINDINGS_PREFIX = "findings"
# Empty rows under the findings, and how many "More rows" adds.
EXTRA_ROWS = 3
# The same words as everywhere else for the character PostgreSQL cannot store (NUL_MESSAGE is
# marked where it is defined; translated here when shown).
NUL = {"null_characters_not_allowed": _(NUL_MESSAGE)}


def internal_field(name: str) -> str:
    return f"internal_{name}"


class ReportForm(forms.Form):
    """The seven sections, which are internal, and a short note on what changed, against
    version `base_number`."""

    base_number = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECTIONS:
            self.fields[name] = forms.CharField(
                label=section_label(name),
                required=False,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 6, "maxlength": SECTION_MAX_LENGTH}),
                validators=[MaxLengthValidator(SECTION_MAX_LENGTH)],
                error_messages=NUL,
            )
            if name in CHOOSABLE_SECTIONS:
                self.fields[internal_field(name)] = forms.BooleanField(
                    label=_("Internal: keep this section out of the public version"),
                    required=False,
                )
        self.fields["change_note"] = forms.CharField(
            label=_("What changed"),
            max_length=CHANGE_NOTE_MAX_LENGTH,
            help_text=_(
                "Required. A few words for the list of versions, e.g. “Added the findings on "
                "the health cluster”."
            ),
            error_messages={**NUL, "required": _("Say in a few words what you changed.")},
        )

    @classmethod
    def initial_for(cls, version: ReportVersion) -> dict:
        initial = {name: getattr(version, name) for name in SECTIONS}
        initial.update(
            {internal_field(name): not version.is_public(name) for name in CHOOSABLE_SECTIONS}
        )
        return {**initial, "base_number": version.number}

    def section_rows(self) -> list[dict]:
        """Each section's text field with its visibility: a checkbox, or always internal."""
        return [
            {
                "name": name,
                "text": self[name],
                "internal": self[internal_field(name)] if name in CHOOSABLE_SECTIONS else None,
                "always_internal": name in ALWAYS_INTERNAL,
            }
            for name in SECTIONS
        ]

    def sections(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in SECTIONS}

    def internal_sections(self) -> list[str]:
        return [name for name in CHOOSABLE_SECTIONS if self.cleaned_data[internal_field(name)]]


def area_choices(mission: Mission) -> list:
    """What a finding may be about: the coordination as a whole, one of the mission's
    clusters (or one a finding names already), or a cross-cutting issue (grouped, as the
    select shows them)."""
    clusters = [(f"cluster-{c.pk}", c.name) for c in finding_clusters(mission)]
    issues = [(f"issue-{i.pk}", i.name) for i in CrossCuttingIssue.objects.order_by("name")]
    choices: list = [(COORDINATION, _("Inter-cluster coordination"))]
    if clusters:
        choices.append((_("Clusters"), clusters))
    if issues:
        choices.append((_("Cross-cutting issues"), issues))
    return choices


def area_of(cluster_id: int | None, issue_id: int | None) -> str:
    if cluster_id:
        return f"cluster-{cluster_id}"
    if issue_id:
        return f"issue-{issue_id}"
    return COORDINATION


class FindingForm(forms.Form):
    """One finding: what it is about, its text, and whether it is kept internal."""

    area = forms.ChoiceField(label=_("About"), required=False)
    text = forms.CharField(
        label=_("Finding"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": FINDING_MAX_LENGTH}),
        validators=[MaxLengthValidator(FINDING_MAX_LENGTH)],
        error_messages=NUL,
        help_text=_("Empty the text to remove the finding."),
    )
    internal = forms.BooleanField(
        label=_("Internal (security details, names of individuals, sensitive remarks)"),
        required=False,
    )

    def __init__(self, *args, areas: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = areas

    def finding(self) -> dict:
        area = self.cleaned_data.get("area") or COORDINATION
        kind, _sep, pk = area.partition("-")
        return {
            "cluster": int(pk) if kind == "cluster" else None,
            "issue": int(pk) if kind == "issue" else None,
            "text": self.cleaned_data.get("text", ""),
            "internal": self.cleaned_data.get("internal", False),
        }


class BaseFindingFormSet(forms.BaseFormSet):
    def findings(self) -> list[dict]:
        """The rows typed, in their order (the service drops those without text)."""
        return [form.finding() for form in self.forms]


FindingFormSet = forms.formset_factory(
    FindingForm,
    formset=BaseFindingFormSet,
    extra=EXTRA_ROWS,
    max_num=FINDINGS_MAX,
    validate_max=True,
    # Room for a few rounds of "More rows" over a full report; the service keeps the limit.
    absolute_max=2 * FINDINGS_MAX,
)


def findings_initial(version: ReportVersion) -> list[dict]:
    return [
        {"area": area_of(f.cluster_id, f.issue_id), "text": f.text, "internal": f.internal}
        for f in findings_of(version)
    ]


def finding_formset(
    mission: Mission,
    data=None,
    *,
    initial: list[dict] | None = None,
    extra: int = EXTRA_ROWS,
    areas: list | None = None,
) -> BaseFindingFormSet:
    """The findings' formset of `mission`: bound to `data`, or filled with `initial` rows and
    `extra` empty ones. `areas` (area_choices) is read once for all the rows."""
    formset = FindingFormSet(
        data,
        initial=initial,
        prefix=FINDINGS_PREFIX,
        form_kwargs={"areas": areas if areas is not None else area_choices(mission)},
    )
    formset.extra = extra
    return formset


def as_typed(form: forms.Form) -> dict:
    """What was typed into a bound form, as the initial values of an unbound one: to show
    the form again with nothing lost and no error yet (for "More rows")."""
    return {name: form[name].data for name in form.fields}


class ReportFinalForm(forms.Form):
    """Mark version `number` final (the one the leader is looking at)."""

    number = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class RecipientForm(forms.Form):
    """An address for the distribution list. Whether it is on the list already is the
    service's to say (next to the address)."""

    name = forms.CharField(
        label=_("Name of the person or office"),
        max_length=NAME_MAX_LENGTH,
        error_messages={**NUL, "required": _("Give the name of the person or office.")},
    )
    organisation = forms.CharField(
        label=_("Organisation"),
        max_length=ORGANISATION_MAX_LENGTH,
        required=False,
        error_messages=NUL,
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=EMAIL_MAX_LENGTH,
        error_messages={
            **NUL,
            "required": _("Give the e-mail address."),
            "invalid": _("Give a valid e-mail address."),
        },
    )

    def __init__(self, *args, **kwargs):
        # Ids of their own: the form shares the page with the report's.
        kwargs.setdefault("auto_id", "recipient_%s")
        super().__init__(*args, **kwargs)
