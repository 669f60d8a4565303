"""Forms of the mission's preparation: how a cross-cutting issue is covered, its briefing
paper, the dates in the country, and the logistics checklist.

They check what was typed and say what is wrong next to the field; who may do what, and
what a file really is, is decided by missions.preparation.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from formats.people import person
from missions.models import IssueCoverage, LogisticsEntry, Mission, Nomination
from missions.services.preparation import team_members

Mode = IssueCoverage.Mode
NOTE_MAX_LENGTH = LogisticsEntry._meta.get_field("note").max_length
COUNTERPART_MAX_LENGTH = Nomination._meta.get_field("counterpart").max_length


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Nomination) -> str:
        return f"{person(obj.participant)} ({obj.agency})"


class CoverageForm(forms.Form):
    mode = forms.ChoiceField(
        label="How is it covered?",
        choices=Mode.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how the issue is covered.",
            "invalid_choice": "Choose how the issue is covered.",
        },
    )
    member = MemberChoiceField(
        label="Team member who represents it",
        queryset=Nomination.objects.none(),
        required=False,
        empty_label="Choose a team member",
        help_text="For “Represented on the team”: only accepted members of this mission.",
        error_messages={"invalid_choice": "Choose a member of this mission's team."},
    )
    remote_focal_point = forms.CharField(
        label="Focal point supporting remotely",
        max_length=IssueCoverage._meta.get_field("remote_focal_point").max_length,
        required=False,
        help_text="For “Supports remotely”: name, role and organisation.",
    )

    def __init__(self, *args, mission: Mission, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = team_members(mission)

    @classmethod
    def for_coverage(cls, mission: Mission, coverage: IssueCoverage | None) -> CoverageForm:
        initial = {}
        if coverage is not None:
            initial = {
                "mode": coverage.mode or None,
                "member": coverage.member_id,
                "remote_focal_point": coverage.remote_focal_point,
            }
        return cls(mission=mission, initial=initial)

    def clean(self):
        cleaned = super().clean()
        mode = cleaned.get("mode")
        if mode == Mode.REPRESENTED and not cleaned.get("member") and "member" not in self.errors:
            self.add_error("member", "Choose the member of the team who represents it.")
        if mode == Mode.REMOTE and not (cleaned.get("remote_focal_point") or "").strip():
            self.add_error(
                "remote_focal_point", "Name the focal point who supports the mission remotely."
            )
        return cleaned


class BriefingForm(forms.Form):
    briefing = forms.FileField(
        label="Briefing paper",
        error_messages={
            "required": "Choose the file of the briefing paper.",
            "empty": "This file is empty.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["briefing"].help_text = (
            "A PDF or a Word document (DOCX), at most "
            f"{filesizeformat(settings.ICSM_ATTACHMENT_MAX_BYTES)}. It replaces any paper "
            "uploaded before."
        )


class InCountryDatesForm(forms.Form):
    """The dates in the country, on the logistics page's one form. Both or neither: a save
    that leaves them empty changes the checklist only; dates once set cannot be emptied.

    Each field carries the value the page showed (`show_hidden_initial`): what the user did
    not change is not written, so a save never undoes what someone else saved meanwhile.
    """

    in_country_from = forms.DateField(
        label="In the country from",
        required=False,
        show_hidden_initial=True,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Give the first day as a date (YYYY-MM-DD)."},
    )
    in_country_to = forms.DateField(
        label="In the country until",
        required=False,
        show_hidden_initial=True,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Give the last day as a date (YYYY-MM-DD)."},
    )

    def __init__(self, *args, mission: Mission, **kwargs):
        kwargs.setdefault(
            "initial",
            {"in_country_from": mission.in_country_from, "in_country_to": mission.in_country_to},
        )
        super().__init__(*args, **kwargs)
        self.mission = mission

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("in_country_from"), cleaned.get("in_country_to")
        # Typed, even if not as a date: the other day is then expected too.
        start_typed = start is not None or "in_country_from" in self.errors
        end_typed = end is not None or "in_country_to" in self.errors
        already_set = self.mission.in_country_from or self.mission.in_country_to
        if not start_typed and (end_typed or already_set):
            self.add_error("in_country_from", _("Give the first day in the country."))
        if not end_typed and (start_typed or already_set):
            self.add_error("in_country_to", _("Give the last day in the country."))
        if start and end and end < start:
            self.add_error(
                "in_country_to", "The last day in the country cannot be before the first."
            )
        return cleaned

    def dates(self) -> tuple | None:
        """(first day, last day) to save, or None when the user changed neither."""
        if not self.has_changed():
            return None
        start, end = self.cleaned_data["in_country_from"], self.cleaned_data["in_country_to"]
        if start is None:
            return None  # both left empty: nothing to set
        return start, end


class ChecklistForm(forms.Form):
    """The status and note of each cell of one row of the checklist: one team member's items
    (with their arrival, departure and counterpart), or the mission-wide items.

    `cells` come from `logistics_grid`; `nomination` is None for the mission-wide row. Each
    field carries the value the page showed (`show_hidden_initial`), so that only what the
    user changed is saved (`changed_cells`, `travel`).
    """

    @staticmethod
    def prefix_for(nomination: Nomination | None) -> str:
        """The prefix of a row's fields on the page: one member's, or the mission-wide."""
        return f"p{nomination.pk}" if nomination else "mission"

    def __init__(self, *args, cells: list[dict], nomination: Nomination | None = None, **kwargs):
        kwargs.setdefault("prefix", self.prefix_for(nomination))
        super().__init__(*args, **kwargs)
        self.cells = cells
        self.nomination = nomination
        whose = f" ({person(nomination.participant)})" if nomination else ""
        for cell in cells:
            item = cell["item"]
            self.fields[f"status_{item.pk}"] = forms.ChoiceField(
                label=f"{item.name}: status{whose}",
                choices=LogisticsEntry.Status.choices,
                initial=cell["status"],
                show_hidden_initial=True,
                widget=forms.Select(attrs={"aria-label": f"{item.name}: status{whose}"}),
                error_messages={
                    "invalid_choice": "Choose a status.",
                    "required": "Choose a status.",
                },
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=f"{item.name}: note{whose}",
                max_length=NOTE_MAX_LENGTH,
                required=False,
                initial=cell["note"],
                show_hidden_initial=True,
                widget=forms.TextInput(attrs={"aria-label": f"{item.name}: note{whose}"}),
            )
        if nomination is not None:
            self.fields["arrival_on"] = forms.DateField(
                label="Arrival",
                required=False,
                initial=nomination.arrival_on,
                show_hidden_initial=True,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                error_messages={"invalid": "Give the arrival as a date (YYYY-MM-DD)."},
            )
            self.fields["departure_on"] = forms.DateField(
                label="Departure",
                required=False,
                initial=nomination.departure_on,
                show_hidden_initial=True,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                error_messages={"invalid": "Give the departure as a date (YYYY-MM-DD)."},
            )
            self.fields["counterpart"] = forms.CharField(
                label="Country counterpart",
                max_length=COUNTERPART_MAX_LENGTH,
                required=False,
                initial=nomination.counterpart,
                show_hidden_initial=True,
            )

    def clean(self):
        cleaned = super().clean()
        arrival, departure = cleaned.get("arrival_on"), cleaned.get("departure_on")
        if arrival and departure and departure < arrival:
            self.add_error("departure_on", "The departure cannot be before the arrival.")
        return cleaned

    def rows(self) -> list[dict]:
        """Each cell with its two bound fields, for the template's table."""
        return [
            {
                "cell": cell,
                "status": self[f"status_{cell['item'].pk}"],
                "note": self[f"note_{cell['item'].pk}"],
            }
            for cell in self.cells
        ]

    def changes(self) -> list[tuple]:
        """(item, status, note) for every cell of the row, as typed."""
        return [
            (
                cell["item"],
                self.cleaned_data[f"status_{cell['item'].pk}"],
                self.cleaned_data[f"note_{cell['item'].pk}"],
            )
            for cell in self.cells
        ]

    def changed_cells(self) -> list[tuple]:
        """(item, status, note) for the cells whose status or note the user changed."""
        changed = set(self.changed_data)
        return [
            (item, status, note)
            for (item, status, note) in self.changes()
            if {f"status_{item.pk}", f"note_{item.pk}"} & changed
        ]

    def travel(self) -> dict | None:
        """The member's arrival, departure and counterpart, when the user changed any."""
        if self.nomination is None:
            return None
        if not {"arrival_on", "departure_on", "counterpart"} & set(self.changed_data):
            return None
        return {
            "arrival_on": self.cleaned_data.get("arrival_on"),
            "departure_on": self.cleaned_data.get("departure_on"),
            "counterpart": self.cleaned_data.get("counterpart", ""),
        }
