"""Forms of the Task Team board: a scorecard, a decision, a rank adjustment."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from missions.models import ScoringCriterion


class ScorecardForm(forms.Form):
    """One choice per active criterion, from 0 to the top of its scale."""

    def __init__(self, *args, criteria: list[ScoringCriterion], initial_scores=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"c{criterion.pk}"] = forms.TypedChoiceField(
                label=criterion.name,
                help_text=criterion.description,
                choices=[(n, str(n)) for n in range(criterion.scale_max + 1)],
                coerce=int,
                widget=forms.RadioSelect,
                initial=(initial_scores or {}).get(criterion.pk),
                error_messages={
                    "required": gettext("Give a score for “%(criterion)s”.")
                    % {"criterion": criterion.name}
                },
            )

    def values(self) -> dict[int, int]:
        return {c.pk: self.cleaned_data[f"c{c.pk}"] for c in self.criteria}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("approve", _("Approve: the mission goes ahead")),
            ("decline", _("Decline")),
            ("defer", _("Defer: look at it again later")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a decision.")},
    )
    agreed_focus = forms.CharField(
        label=_("Agreed focus"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed to approve: what the mission will concentrate on."),
    )
    draft_tor = forms.CharField(
        label=_("Draft Terms of Reference"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Needed to approve. The GCC and the mission leader finalise it."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed to decline or defer; the RC/HC office and the HCT will read it."),
    )
    revisit_on = forms.DateField(
        label=_("Look at it again on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Needed to defer. The Task Team is reminded on that date."),
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision == "approve":
            for name in ("agreed_focus", "draft_tor"):
                if not (data.get(name) or "").strip():
                    self.add_error(name, gettext("Needed to approve."))
        if decision in ("decline", "defer") and not (data.get("reason") or "").strip():
            self.add_error("reason", gettext("Give the reason for the decision."))
        if decision == "defer":
            revisit_on = data.get("revisit_on")
            if revisit_on is None:
                self.add_error("revisit_on", gettext("Give the date to look at it again."))
            elif revisit_on <= timezone.localdate():
                self.add_error("revisit_on", gettext("The date must be in the future."))
            elif revisit_on > timezone.localdate() + datetime.timedelta(days=366):
                self.add_error("revisit_on", gettext("Choose a date within a year."))
        return data


class RankAdjustmentForm(forms.Form):
    places = forms.IntegerField(
        label=_("Move by (places)"),
        min_value=-50,
        max_value=50,
        help_text=_("Positive moves the request up the board, negative down; 0 removes the move."),
    )
    reason = forms.CharField(
        label=_("Why"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the rank is adjusted.")},
    )

    def __init__(self, *args, **kwargs):
        # On the request's page beside the decision, which has a `reason` too: ids of its own,
        # so that each label names its own field (one id_reason would label only the first).
        kwargs.setdefault("auto_id", "id_rank_%s")
        super().__init__(*args, **kwargs)
