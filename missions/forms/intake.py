"""Forms of request intake: the RC/HC office's request, the HCT's endorsement, a comment.

Forms check what a person typed or uploaded and say what is wrong next to the field, in plain
words. They never decide scope or state: the services do (missions.services).
"""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from clusters.models import Country, CrossCuttingIssue, GlobalCluster
from formats.uploads import ACCEPTED_EXTENSIONS, ACCEPTED_NAMES, UploadRejected, check_upload
from missions.models import Attachment, Mission
from missions.selectors.missions import missions_visible_to
from missions.services.intake import (
    COMMENT_MAX_LENGTH,
    REQUEST_FIELDS,
    mission_version,
    request_countries,
)
from missions.workflow import TOOK_PLACE_STATES, Missing

TEXT_MAX_LENGTH = 10_000
TEAM_SIZE_MAX = 30
# Nobody plans a mission further ahead than this.
HORIZON_DAYS = 3 * 365
WINDOW_MAX_DAYS = 366
EARLIEST_DATE = datetime.date(2000, 1, 1)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"invalid": _("Enter a real date (day, month and year).")}


def _file_hint() -> str:
    size = settings.ICSM_ATTACHMENT_MAX_BYTES
    if size >= 2**20:
        size_text = gettext("%(size)d MB") % {"size": size // 2**20}
    else:
        size_text = gettext("%(size)d KB") % {"size": size // 1024}
    return gettext("%(kinds)s, up to %(size)s each.") % {
        "kinds": gettext(ACCEPTED_NAMES),
        "size": size_text,
    }


def _file_field(label: str, help_text: str) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.FileInput(attrs={"accept": ACCEPTED_EXTENSIONS}),
        error_messages={
            "empty": _("This file is empty."),
            "invalid": _("Choose a file from your computer."),
            "missing": _("Choose a file from your computer."),
        },
    )


def _check_file(upload):
    """The form's view of missions.uploads: the same rules, as a field error."""
    if upload is None:
        return None
    try:
        check_upload(upload, upload.size, settings.ICSM_ATTACHMENT_MAX_BYTES)
    except UploadRejected as rejected:
        raise forms.ValidationError(gettext(rejected.message)) from None
    return upload


def _room_left(mission: Mission | None) -> int:
    held = mission.attachments.count() if mission is not None and mission.pk else 0
    return settings.ICSM_ATTACHMENT_MAX_COUNT - held


def _too_many(room: int) -> str:
    limit = settings.ICSM_ATTACHMENT_MAX_COUNT
    if room <= 0:
        return gettext(
            "This request already holds %(limit)d documents, the most it can have. "
            "Delete one it no longer needs first."
        ) % {"limit": limit}
    return ngettext(
        "Only %(room)d more document fit with this request.",
        "Only %(room)d more documents fit with this request.",
        room,
    ) % {"room": room}


class _LimitedText:
    """Long text fields accept up to TEXT_MAX_LENGTH characters, said in plain words."""

    def _limit_text(self):
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and isinstance(field.widget, forms.Textarea):
                if field.widget.attrs.get("rows") == "10":  # Django's default: too tall here
                    field.widget.attrs["rows"] = "4"
                field.max_length = TEXT_MAX_LENGTH
                field.widget.attrs["maxlength"] = str(TEXT_MAX_LENGTH)
                field.validators.append(
                    MaxLengthValidator(
                        TEXT_MAX_LENGTH,
                        message=gettext(
                            "Keep this under %(limit_value)d characters (it has %(show_value)d)."
                        ),
                    )
                )


class ParentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, mission: Mission) -> str:
        return gettext("%(title)s (%(country)s, %(status)s)") % {
            "title": mission.title,
            "country": mission.country.name,
            "status": mission.status_in_sentence,
        }


class RequestForm(_LimitedText, forms.ModelForm):
    """The request, as the RC/HC office writes it, in sections a coordinator recognises.

    Nothing here is required beyond a title, the country and the type: a draft may be
    incomplete. What the procedure needs before submission is the `submit` guard's business;
    `add_missing` puts what it finds next to the fields.
    """

    SECTIONS = (
        (
            _("HCSS's questions"),
            _(
                "OCHA's coordination support section returned the request with the questions "
                "above. Answer them here, change the request where needed, then submit again."
            ),
            ("revision_answer",),
        ),
        (
            _("The request"),
            _("What kind of support you are asking for, and on what."),
            ("title", "country", "mission_type", "parent", "issues"),
        ),
        (
            _("Objectives and deliverables"),
            _("What the mission should achieve, and what it should leave behind."),
            ("objectives", "deliverables"),
        ),
        (
            _("Timing and team"),
            _("When the mission would be most useful, and who should be on it."),
            (
                "preferred_start",
                "preferred_end",
                "suggested_team_size",
                "requested_clusters",
                "requested_issues",
                "composition_notes",
            ),
        ),
        (
            _("Context and constraints"),
            _("What the team must know to plan safely and to avoid overloading the country."),
            ("security_constraints", "planned_evaluations"),
        ),
        (
            _("HCT agreement"),
            _(
                "A mission is requested only when the Humanitarian Country Team agrees it is "
                "needed. Give the date of that agreement and describe it, or attach the minutes."
            ),
            ("hct_endorsed_on", "hct_endorsement_record", "hct_minutes"),
        ),
        (
            _("Contacts"),
            _("Who the team should talk to in the country while it prepares."),
            ("country_contacts",),
        ),
        (
            _("Other supporting documents"),
            _(
                "A concept note or anything else that helps OCHA and the Task Team understand "
                "the request."
            ),
            ("document", "document_kind"),
        ),
    )

    mission_type = forms.ChoiceField(
        label=_("Type of mission"),
        choices=Mission.Type.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "A diagnostic mission looks at coordination as a whole; a follow-up returns "
            "to the recommendations of an earlier mission; a specific-issues mission concentrates "
            "on a few problems you name."
        ),
        error_messages={"required": _("Choose the type of mission.")},
    )
    suggested_team_size = forms.IntegerField(
        label=_("Suggested team size"),
        required=False,
        min_value=1,
        max_value=TEAM_SIZE_MAX,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        # help_text: set when the form is made (it says the limit).
        error_messages={
            "invalid": _("Enter the number of people as a whole number, e.g. 5."),
            "min_value": _("A team needs at least one person."),
            # Django fills in the limit (TEAM_SIZE_MAX) when it shows the message.
            "max_value": _("Suggest at most %(limit_value)s people."),
        },
    )
    hct_minutes = _file_field(
        _("Minutes of the HCT meeting"),
        _("Optional if you describe the agreement above. %(file_hint)s"),
    )
    # Only the accepted kinds and sizes, said when the form is made.
    document = _file_field(_("Add a document"), "%(file_hint)s")
    document_kind = forms.ChoiceField(
        label=_("What is it?"),
        choices=[
            (Attachment.Kind.CONCEPT_NOTE, Attachment.Kind.CONCEPT_NOTE.label),
            (Attachment.Kind.OTHER, Attachment.Kind.OTHER.label),
        ],
        initial=Attachment.Kind.CONCEPT_NOTE,
        required=False,
        widget=forms.RadioSelect,
    )
    # The version of the draft the form shows (editing only): a save over a newer one, made
    # in another tab or by someone else, is refused (mission_update_request).
    expected_updated_at = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Mission
        fields = list(REQUEST_FIELDS)
        labels = {
            "title": _("Short title"),
            "country": _("Country"),
            "parent": _("Earlier mission it follows"),
            "issues": _("Issues to address"),
            "objectives": _("Objectives"),
            "deliverables": _("Expected deliverables"),
            "preferred_start": _("Preferred start"),
            "preferred_end": _("Preferred end"),
            "requested_clusters": _("Clusters wanted on the team"),
            "requested_issues": _("Cross-cutting issues wanted"),
            "composition_notes": _("Other suggestions on the team's composition"),
            "security_constraints": _("Security concerns and other restricting factors"),
            "planned_evaluations": _("Evaluations already planned in the country"),
            "hct_endorsed_on": _("Date the HCT agreed"),
            "hct_endorsement_record": _("Record of the HCT's agreement"),
            "country_contacts": _("Contacts in the country"),
            "revision_answer": _("Your answers to HCSS's questions"),
        }
        help_texts = {
            "title": _(
                "A few words that tell this request apart, e.g. "
                "“Flood response coordination, Sindh”."
            ),
            "parent": _("Only for a follow-up: the mission whose recommendations it returns to."),
            "issues": _(
                "The coordination problems you want looked at: gaps between clusters, "
                "links with the government, information management, and so on."
            ),
            "objectives": _("What should be different after the mission? Needed to submit."),
            "deliverables": _(
                "For example an action plan agreed with the HCT, a report, "
                "a workshop. Needed to submit."
            ),
            "preferred_start": _(
                "The first day the team could usefully arrive. Needed to submit, with the end."
            ),
            "preferred_end": _("The last day of the window that suits the country."),
            "requested_clusters": _("Tick the global clusters whose expertise you need."),
            "requested_issues": _(
                "Tick the issues the team should cover, such as gender or protection."
            ),
            "composition_notes": _(
                "Anything else about the team: seniority, languages, "
                "a particular agency. Needed to submit unless you ticked clusters or issues."
            ),
            "security_constraints": _(
                "Security phase, areas the team cannot reach, visa or "
                "travel limits, seasons. Write “none known” if there are none. Needed to submit."
            ),
            "planned_evaluations": _(
                "Reviews or evaluations already planned, with their dates, "
                "so the mission does not clash with them. Write “none planned” if there are none. "
                "Needed to submit."
            ),
            "hct_endorsed_on": _(
                "The date of the HCT meeting that agreed to request a mission. Needed to submit."
            ),
            "hct_endorsement_record": _(
                "What the HCT decided and who was there, in a few "
                "lines. Needed to submit unless you attach the minutes."
            ),
            "country_contacts": _("Names, roles, e-mail addresses and telephone numbers."),
            "revision_answer": _(
                "Answer each question, or say where in the request you have "
                "answered it. Needed to submit again."
            ),
        }
        widgets = {
            "title": forms.TextInput(attrs={"autocomplete": "off"}),
            "preferred_start": DATE_WIDGET,
            "preferred_end": DATE_WIDGET,
            "hct_endorsed_on": DATE_WIDGET,
            "requested_clusters": forms.CheckboxSelectMultiple,
            "requested_issues": forms.CheckboxSelectMultiple,
        }
        error_messages = {
            "title": {
                "required": _("Give the request a short title."),
                "max_length": _(
                    "Keep the title under %(limit_value)d characters (it has %(show_value)d)."
                ),
            },
            "country": {
                "required": _("Choose the country."),
                "invalid_choice": _("Choose one of the countries listed."),
            },
            "parent": {"invalid_choice": _("Choose one of the missions listed, or none.")},
            "preferred_start": DATE_ERRORS,
            "preferred_end": DATE_ERRORS,
            "hct_endorsed_on": DATE_ERRORS,
            "requested_clusters": {"invalid_choice": _("Tick only the clusters listed.")},
            "requested_issues": {"invalid_choice": _("Tick only the issues listed.")},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        mission = self.instance if self.instance.pk else None
        countries = request_countries(user)
        if mission is not None:
            # An editor keeps the request's own country among the choices.
            countries = Country.objects.filter(
                Q(pk__in=countries.values("pk")) | Q(pk=mission.country_id)
            )
        country = self.fields["country"]
        country.queryset = countries
        country.help_text = gettext("Requests can be made for the countries you represent.")
        if len(countries) == 1:
            country.empty_label = None
            country.initial = countries[0].pk
        else:
            country.empty_label = gettext("Choose the country")

        parents = (
            # Only a mission that took place has recommendations to follow up.
            missions_visible_to(user)
            .filter(country__in=countries, status__in=TOOK_PLACE_STATES)
            .select_related("country")
            .order_by("country__name", "-created_at")
        )
        if mission is not None:
            parents = parents.exclude(pk=mission.pk)
        self.fields["parent"] = ParentChoiceField(
            queryset=parents,
            required=False,
            label=self._meta.labels["parent"],
            help_text=self._meta.help_texts["parent"],
            empty_label=gettext("None: this is not a follow-up"),
            error_messages=self._meta.error_messages["parent"],
        )
        self.fields["requested_clusters"].queryset = GlobalCluster.objects.order_by("name")
        self.fields["requested_issues"].queryset = CrossCuttingIssue.objects.order_by("name")

        if not (mission is not None and mission.revision_questions):
            del self.fields["revision_answer"]
        if mission is None:
            del self.fields["expected_updated_at"]
        else:
            self.fields["expected_updated_at"].initial = mission_version(mission)
        self.fields["suggested_team_size"].help_text = gettext(
            "How many people, from 1 to %(limit)d; most missions have four to eight. Needed "
            "to submit."
        ) % {"limit": TEAM_SIZE_MAX}
        for name in ("hct_minutes", "document"):
            field = self.fields[name]
            field.help_text = field.help_text % {"file_hint": _file_hint()}
        self._limit_text()

    # Validation of what was typed. The guard's rules (what must be present) are not here.

    def clean_hct_minutes(self):
        return _check_file(self.cleaned_data.get("hct_minutes"))

    def clean_document(self):
        return _check_file(self.cleaned_data.get("document"))

    def clean_document_kind(self):
        return self.cleaned_data.get("document_kind") or Attachment.Kind.CONCEPT_NOTE

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        start, end = data.get("preferred_start"), data.get("preferred_end")
        for name in ("preferred_start", "preferred_end"):
            value = data.get(name)
            if value is None or name not in self.changed_data:
                continue
            if value < today:
                self.add_error(name, gettext("This date has passed; choose one from today on."))
            elif value > today + datetime.timedelta(days=HORIZON_DAYS):
                self.add_error(name, gettext("Choose a date within the next three years."))
        if start and end:
            if end < start:
                self.add_error(
                    "preferred_end", gettext("The end of the window is before its start.")
                )
            elif (end - start).days > WINDOW_MAX_DAYS:
                self.add_error(
                    "preferred_end",
                    gettext("The window is longer than a year: give a narrower one."),
                )
        endorsed_on = data.get("hct_endorsed_on")
        if endorsed_on is not None:
            if endorsed_on > today:
                self.add_error(
                    "hct_endorsed_on", gettext("The HCT's agreement cannot be in the future.")
                )
            elif endorsed_on < EARLIEST_DATE:
                self.add_error(
                    "hct_endorsed_on", gettext("That date is too long ago; check the year.")
                )
        self._clean_parent(data)
        self._clean_room(data)
        return data

    def _clean_parent(self, data) -> None:
        parent, country = data.get("parent"), data.get("country")
        if parent is None:
            return
        if data.get("mission_type") and data["mission_type"] != Mission.Type.FOLLOW_UP:
            self.add_error(
                "parent",
                gettext(
                    "Only a follow-up refers to an earlier mission: choose “Follow-up of an "
                    "earlier mission” as the type, or choose none here."
                ),
            )
        elif country is not None and parent.country_id != country.pk:
            self.add_error("parent", gettext("Choose an earlier mission in the same country."))
        elif self.instance.pk:
            ancestor, seen = parent, set()
            while ancestor is not None and ancestor.pk not in seen:
                if ancestor.pk == self.instance.pk:
                    self.add_error(
                        "parent", gettext("A mission cannot follow one of its own follow-ups.")
                    )
                    break
                seen.add(ancestor.pk)
                ancestor = ancestor.parent

    def _clean_room(self, data) -> None:
        uploads = [name for name in ("hct_minutes", "document") if data.get(name)]
        room = _room_left(self.instance if self.instance.pk else None)
        if len(uploads) > room:
            self.add_error(uploads[-1] if room > 0 else uploads[0], _too_many(room))
            if room <= 0 and len(uploads) > 1:
                self.add_error(uploads[1], _too_many(room))

    # What the view passes on to the services.

    def request_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in REQUEST_FIELDS if name in self.fields}

    def version_seen(self) -> str | None:
        """The version of the draft the form was shown with ("" if the page did not say:
        refused as a version that cannot be checked); None for a new request."""
        if "expected_updated_at" not in self.fields:
            return None
        return self.cleaned_data.get("expected_updated_at") or ""

    def show_version(self, version: str) -> None:
        """Carry `version` when the form is shown again (after a refusal, or a save), so that
        the next save is checked against the draft as it is now, with what was typed kept."""
        if "expected_updated_at" not in self.fields:
            # A new request just saved as a draft: the form now edits it.
            self.fields["expected_updated_at"] = forms.CharField(
                required=False, widget=forms.HiddenInput
            )
        if self.is_bound:
            self.data = self.data.copy()
            self.data[self.add_prefix("expected_updated_at")] = version
        self.fields["expected_updated_at"].initial = version

    def uploads(self) -> list[tuple[str, str, object]]:
        """(form field, attachment kind, file) for each file chosen."""
        chosen = []
        if self.cleaned_data.get("hct_minutes"):
            chosen.append(
                ("hct_minutes", Attachment.Kind.HCT_MINUTES, self.cleaned_data["hct_minutes"])
            )
        if self.cleaned_data.get("document"):
            chosen.append(
                ("document", self.cleaned_data["document_kind"], self.cleaned_data["document"])
            )
        return chosen

    def add_missing(self, missing: list[Missing], mission: Mission) -> list[dict]:
        """Put each thing the submit guard found missing next to its field.

        Returns the checklist for the top of the page: one item per missing thing, with the
        id of the field it links to (None when no field of this form holds it).
        """
        checklist = []
        for item in missing:
            field = item.field
            if field == "preferred_start" and mission.preferred_start is not None:
                field = "preferred_end"  # the start is given: it is the end that is missing
            if field in self.fields:
                self.add_error(field, item.message)
                checklist.append({"anchor": self[field].auto_id, "message": item.message})
            else:
                checklist.append({"anchor": None, "message": item.message})
        return checklist

    def sections(self) -> list[dict]:
        sections = []
        for legend, intro, names in self.SECTIONS:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                sections.append({"legend": legend, "intro": intro, "fields": fields})
        return sections

    def problems(self) -> list[dict]:
        """Every error on the form, for the summary at the top, in the order of the page."""
        order = [name for _, _, names in self.SECTIONS for name in names if name in self.fields]
        items = [
            {"anchor": None, "label": "", "message": message} for message in self.non_field_errors()
        ]
        for name in order:
            for message in self.errors.get(name, []):
                items.append(
                    {"anchor": self[name].auto_id, "label": self[name].label, "message": message}
                )
        return items


class EndorsementForm(_LimitedText, forms.Form):
    """The HCT records its agreement that a mission is needed."""

    hct_endorsed_on = forms.DateField(
        label=_("Date the HCT agreed"),
        widget=DATE_WIDGET,
        error_messages={"required": _("Give the date the HCT agreed."), **DATE_ERRORS},
    )
    hct_endorsement_record = forms.CharField(
        label=_("Record of the agreement"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What the HCT decided and who was there. Not needed if you attach the minutes."
        ),
    )
    minutes = _file_field(_("Minutes of the meeting (optional)"), "{file_hint}")

    def __init__(self, *args, mission: Mission, **kwargs):
        kwargs.setdefault("auto_id", "endorse_%s")
        kwargs.setdefault(
            "initial",
            {
                "hct_endorsed_on": mission.hct_endorsed_on,
                "hct_endorsement_record": mission.hct_endorsement_record,
            },
        )
        super().__init__(*args, **kwargs)
        self.mission = mission
        self.fields["minutes"].help_text = _file_hint()
        self._limit_text()

    def clean_minutes(self):
        return _check_file(self.cleaned_data.get("minutes"))

    def clean(self):
        data = super().clean()
        endorsed_on = data.get("hct_endorsed_on")
        if endorsed_on is not None and endorsed_on > timezone.localdate():
            self.add_error(
                "hct_endorsed_on", gettext("The HCT's agreement cannot be in the future.")
            )
        elif endorsed_on is not None and endorsed_on < EARLIEST_DATE:
            self.add_error("hct_endorsed_on", gettext("That date is too long ago; check the year."))
        has_minutes = self.mission.attachments.filter(kind=Attachment.Kind.HCT_MINUTES).exists()
        if (
            not (data.get("hct_endorsement_record") or "").strip()
            and not data.get("minutes")
            and not has_minutes
            and "hct_endorsement_record" not in self.errors
        ):
            self.add_error(
                "hct_endorsement_record",
                gettext("Describe the HCT's decision or attach the minutes."),
            )
        if data.get("minutes") and _room_left(self.mission) <= 0:
            self.add_error("minutes", _too_many(0))
        return data


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Your comment"),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": str(COMMENT_MAX_LENGTH)}),
        max_length=COMMENT_MAX_LENGTH,
        error_messages={
            "required": _("Write your comment before sending it."),
            "max_length": _(
                "Keep a comment under %(limit_value)d characters (this one has %(show_value)d)."
            ),
        },
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "comment_%s")
        super().__init__(*args, **kwargs)
