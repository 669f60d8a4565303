"""Recording an action of the cluster."""

from django import forms
from django.utils.translation import gettext_lazy as _

from commitments.forms.rounds import DATE_ERROR, DateInput
from commitments.models import FrameworkItem, ItemKind, Round
from commitments.services.checks import TEXT_MAX_LENGTH


class CommitmentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: FrameworkItem) -> str:
        return f"{obj.number}. {obj.title}"


class ActionForm(forms.Form):
    item = CommitmentChoice(
        label=_("Commitment"),
        queryset=FrameworkItem.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Choose one of the round's commitments.")},
    )
    text = forms.CharField(
        label=_("What the cluster will do"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    owner = forms.CharField(label=_("Owner"), required=False, max_length=200)
    due_on = forms.DateField(
        label=_("Due date"), required=False, widget=DateInput, error_messages=DATE_ERROR
    )

    def __init__(
        self,
        *args,
        round_: Round,
        weak: list[int] | None = None,
        commitments: list[FrameworkItem] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        field = self.fields["item"]
        field.queryset = FrameworkItem.objects.filter(
            version=round_.framework_id, kind=ItemKind.COMMITMENT
        ).order_by("number")
        if commitments is not None:
            # The round's commitments, already read (the picture's): the choices without
            # reading them again; the queryset still checks what is posted.
            field.choices = [
                ("", field.empty_label),
                *((item.pk, field.label_from_instance(item)) for item in commitments),
            ]
        if weak and not self.is_bound:
            self.initial.setdefault("item", weak[0])
