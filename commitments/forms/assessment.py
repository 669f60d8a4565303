"""The self-assessment form: per commitment and principle a rating, the evidence (for a
principle, an example) and for a commitment an optional file; the obstacles faced, and what
would help. Every field is optional here: the service says what submitting needs."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from commitments.models import Answer, FrameworkItem, ItemKind, Obstacle, Rating
from commitments.services.assessment import AnswerInput
from commitments.services.checks import TEXT_MAX_LENGTH
from formats.uploads import ACCEPTED_EXTENSIONS


class AssessmentForm(forms.Form):
    obstacles = forms.MultipleChoiceField(
        label=_("The obstacles your organisation faces"),
        choices=Obstacle.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    obstacles_comment = forms.CharField(
        label=_("About these obstacles"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What they are in your context (and what “other” is, if you chose it)."),
    )
    what_would_help = forms.CharField(
        label=_("What would help"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        *args,
        items: list[FrameworkItem],
        answers: dict[int, Answer] | None = None,
        obstacles: list[str] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.items = items
        self.answers = answers or {}
        file_help = _(
            "Optional: a PDF, Word, Excel or image file of at most %(size)s. A file cannot be "
            "kept if the page comes back with an error: choose it again."
        ) % {"size": filesizeformat(settings.ICSM_ATTACHMENT_MAX_BYTES)}
        for item in items:
            answer = self.answers.get(item.pk)
            commitment = item.kind == ItemKind.COMMITMENT
            self.fields[f"rating_{item.pk}"] = forms.ChoiceField(
                label=_("Your answer"),
                choices=Rating.choices,
                required=False,
                widget=forms.RadioSelect,
                initial=answer.rating if answer else None,
            )
            self.fields[f"evidence_{item.pk}"] = forms.CharField(
                label=_("Evidence")
                if commitment
                else _("How the partnership applies it: an example"),
                required=False,
                max_length=TEXT_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=answer.evidence if answer else "",
            )
            if commitment:
                self.fields[f"file_{item.pk}"] = forms.FileField(
                    label=_("Evidence file"),
                    required=False,
                    help_text=file_help,
                    widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_EXTENSIONS}),
                    error_messages={"empty": _("This file is empty.")},
                )
                if answer and answer.file:
                    self.fields[f"remove_file_{item.pk}"] = forms.BooleanField(
                        label=_("Remove the file %(name)s") % {"name": answer.file_name},
                        required=False,
                    )
        if not self.is_bound and obstacles is not None:
            self.initial["obstacles"] = obstacles

    def rows(self, kind: str) -> list[dict]:
        """The fields of each item of `kind`, for the template."""
        rows = []
        for item in self.items:
            if item.kind != kind:
                continue
            remove = f"remove_file_{item.pk}"
            rows.append(
                {
                    "item": item,
                    "answer": self.answers.get(item.pk),
                    "rating": self[f"rating_{item.pk}"],
                    "evidence": self[f"evidence_{item.pk}"],
                    "file": self[f"file_{item.pk}"] if f"file_{item.pk}" in self.fields else None,
                    "remove": self[remove] if remove in self.fields else None,
                }
            )
        return rows

    def commitment_rows(self) -> list[dict]:
        return self.rows(ItemKind.COMMITMENT)

    def principle_rows(self) -> list[dict]:
        return self.rows(ItemKind.PRINCIPLE)

    def answer_inputs(self) -> dict[int, AnswerInput]:
        data = self.cleaned_data
        return {
            item.pk: AnswerInput(
                rating=data.get(f"rating_{item.pk}") or "",
                evidence=data.get(f"evidence_{item.pk}") or "",
                file=data.get(f"file_{item.pk}") or None,
                remove_file=bool(data.get(f"remove_file_{item.pk}")),
            )
            for item in self.items
        }
