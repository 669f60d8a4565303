"""Forms of the mission's preparation: how a cross-cutting issue is covered, its briefing
paper, the dates in the country, and the logistics checklist.

They check what was typed and say what is wrong next to the field; who may do what, and
what a file really is, is decided by missions.preparation.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from formats.people import person
from missions.models import IssueCoverage, LogisticsEntry, Mission, Nomination
from missions.services.preparation import team_members

Mode = IssueCoverage.Mode
NOTE_MAX_LENGTH = LogisticsEntry._meta.get_field("note").max_length
COUNTERPART_MAX_LENGTH = Nomination._meta.get_field("counterpart").max_length


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Nomination) -> str:
        return gettext("%(person)s (%(agency)s)") % {
            "person": person(obj.participant),
            "agency": obj.agency,
        }


class CoverageForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("How is it covered?"),
        choices=Mode.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how the issue is covered."),
            "invalid_choice": _("Choose how the issue is covered."),
        },
    )
    member = MemberChoiceField(
        label=_("Team member who represents it"),
        queryset=Nomination.objects.none(),
        required=False,
        empty_label=_("Choose a team member"),
        help_text=_("For “Represented on the team”: only accepted members of this mission."),
        error_messages={"invalid_choice": _("Choose a member of this mission's team.")},
    )
    remote_focal_point = forms.CharField(
        label=_("Focal point supporting remotely"),
        max_length=IssueCoverage._meta.get_field("remote_focal_point").max_length,
        required=False,
        help_text=_("For “Supports remotely”: name, role and organisation."),
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
            self.add_error("member", gettext("Choose the member of the team who represents it."))
        if mode == Mode.REMOTE and not (cleaned.get("remote_focal_point") or "").strip():
            self.add_error(
                "remote_focal_point",
                gettext("Name the focal point who supports the mission remotely."),
            )
        return cleaned


class BriefingForm(forms.Form):
    briefing = forms.FileField(
        label=_("Briefing paper"),
        error_messages={
            "required": _("Choose the file of the briefing paper."),
            "empty": _("This file is empty."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["briefing"].help_text = gettext(
            "A PDF or a Word document (DOCX), at most %(size)s. It replaces any paper "
            "uploaded before."
        ) % {"size": filesizeformat(settings.ICSM_ATTACHMENT_MAX_BYTES)}


class InCountryDatesForm(forms.Form):
    """The dates in the country, on the logistics page's one form. Both or neither: a save
    that leaves them empty changes the checklist only; dates once set cannot be emptied.

    Each field carries the value the page showed (`show_hidden_initial`): what the user did
    not change is not written, so a save never undoes what someone else saved meanwhile.
    """

    in_country_from = forms.DateField(
        label=_("In the country from"),
        required=False,
        show_hidden_initial=True,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Give the first day as a date (YYYY-MM-DD).")},
    )
    in_country_to = forms.DateField(
        label=_("In the country until"),
        required=False,
        show_hidden_initial=True,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Give the last day as a date (YYYY-MM-DD).")},
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
            self.add_error("in_country_from", gettext("Give the first day in the country."))
        if not end_typed and (start_typed or already_set):
            self.add_error("in_country_to", gettext("Give the last day in the country."))
        if start and end and end < start:
            self.add_error(
                "in_country_to", gettext("The last day in the country cannot be before the first.")
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
        who = person(nomination.participant) if nomination else None
        for cell in cells:
            item = cell["item"]
            if who:
                status_label = gettext("%(item)s: status (%(person)s)") % {
                    "item": item.name,
                    "person": who,
                }
                note_label = gettext("%(item)s: note (%(person)s)") % {
                    "item": item.name,
                    "person": who,
                }
            else:
                status_label = gettext("%(item)s: status") % {"item": item.name}
                note_label = gettext("%(item)s: note") % {"item": item.name}
            self.fields[f"status_{item.pk}"] = forms.ChoiceField(
                label=status_label,
                choices=LogisticsEntry.Status.choices,
                initial=cell["status"],
                show_hidden_initial=True,
                widget=forms.Select(attrs={"aria-label": status_label}),
                error_messages={
                    "invalid_choice": gettext("Choose a status."),
                    "required": gettext("Choose a status."),
                },
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=note_label,
                max_length=NOTE_MAX_LENGTH,
                required=False,
                initial=cell["note"],
                show_hidden_initial=True,
                widget=forms.TextInput(attrs={"aria-label": note_label}),
            )
        if nomination is not None:
            self.fields["arrival_on"] = forms.DateField(
                label=_("Arrival"),
                required=False,
                initial=nomination.arrival_on,
                show_hidden_initial=True,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                error_messages={"invalid": _("Give the arrival as a date (YYYY-MM-DD).")},
            )
            self.fields["departure_on"] = forms.DateField(
                label=_("Departure"),
                required=False,
                initial=nomination.departure_on,
                show_hidden_initial=True,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                error_messages={"invalid": _("Give the departure as a date (YYYY-MM-DD).")},
            )
            self.fields["counterpart"] = forms.CharField(
                label=_("Country counterpart"),
                max_length=COUNTERPART_MAX_LENGTH,
                required=False,
                initial=nomination.counterpart,
                show_hidden_initial=True,
            )

    def clean(self):
        cleaned = super().clean()
        arrival, departure = cleaned.get("arrival_on"), cleaned.get("departure_on")
        if arrival and departure and departure < arrival:
            self.add_error("departure_on", gettext("The departure cannot be before the arrival."))
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
