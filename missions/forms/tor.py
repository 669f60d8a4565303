"""Forms of the Terms of Reference: editing the sections, marking a version final.

They check what was typed; who may edit and whether the version is still current is for the
services (missions.tor).
"""

from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from missions.models import ToRVersion
from missions.services.tor import SECTIONS

SECTION_MAX_LENGTH = 20_000


class ToRForm(forms.ModelForm):
    """The six sections and a short note on what changed, against version `base_number`."""

    base_number = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    class Meta:
        model = ToRVersion
        fields = [*SECTIONS, "change_note"]
        widgets = {name: forms.Textarea(attrs={"rows": 6}) for name in SECTIONS}
        # The model's own name for this one is implicit (not translatable there).
        labels = {"objectives": _("Objectives")}
        help_texts = {
            "change_note": _(
                "Required. A few words for the list of versions, e.g. "
                "“Added the district visits agreed with the RC/HC office”."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECTIONS:
            self.fields[name].widget.attrs["maxlength"] = SECTION_MAX_LENGTH
            self.fields[name].validators.append(MaxLengthValidator(SECTION_MAX_LENGTH))
        note = self.fields["change_note"]
        note.required = True
        note.error_messages["required"] = _("Say in a few words what you changed.")

    @classmethod
    def for_version(cls, version: ToRVersion) -> ToRForm:
        """The form filled with `version`'s text, ready to edit into the next one."""
        initial = {name: getattr(version, name) for name in SECTIONS}
        return cls(initial={**initial, "base_number": version.number})

    def sections(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in SECTIONS}


class ToRFinalForm(forms.Form):
    """Mark version `number` final (the one the user is looking at)."""

    number = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
