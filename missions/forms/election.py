"""Forms of the leader's election: standing, voting, the GCC's deadline, closing early and
recording a small team's open agreement.

They check what was typed; who may act, the round's state and the rules of the count are for
the services (missions.services.election).
"""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from missions.models import Election, Mission, Nomination
from missions.services.election import (
    AGREEMENT_MAX_LENGTH,
    STATEMENT_MAX_LENGTH,
    VOTING_MAX,
    VOTING_MIN,
    CandidateRow,
    default_deadline,
    when,
)

DEADLINE_FORMAT = "%Y-%m-%dT%H:%M"


class StandForm(forms.Form):
    statement = forms.CharField(
        label=_("Your statement"),
        required=False,
        max_length=STATEMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Why you would lead this mission and what you bring. The team reads it "
            "before voting; your grade, experience and languages are shown beside it."
        ),
    )


class VoteForm(forms.Form):
    candidate = forms.TypedChoiceField(
        label=_("Your choice"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a candidate."),
            "invalid_choice": _("Choose a candidate."),
        },
    )

    def __init__(self, *args, candidates: list[CandidateRow] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidate"].choices = [(row.pk, row.name) for row in candidates]


class _DeadlineField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DEADLINE_FORMAT)

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Voting closes"))
        kwargs.setdefault(
            "error_messages",
            {
                "required": _("Give the date and time voting closes."),
                "invalid": _("Give a date and a time, e.g. 2027-03-15 17:00."),
            },
        )
        super().__init__(**kwargs)


def _deadline_help() -> str:
    zone = timezone.localtime().tzname()
    return _(
        "In %(zone)s. At least %(min)d day and at most %(max)d days from now. The round can be "
        "closed before then only once every member has voted."
    ) % {"zone": zone, "min": VOTING_MIN.days, "max": VOTING_MAX.days}


class OpenForm(forms.Form):
    """The GCC opens a round with its deadline (a week from now unless changed; left empty,
    a week too)."""

    closes_at = _DeadlineField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["closes_at"]
        field.help_text = _deadline_help()
        if not self.is_bound:
            self.initial["closes_at"] = timezone.localtime(default_deadline()).replace(tzinfo=None)


class ExtendForm(forms.Form):
    """The GCC moves the open round's deadline later."""

    closes_at = _DeadlineField(label=_("New deadline"))

    def __init__(self, *args, election: Election | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["closes_at"]
        field.help_text = _deadline_help()
        if not self.is_bound and election is not None and election.closes_at:
            later = max(election.closes_at, timezone.now()) + datetime.timedelta(days=3)
            self.initial["closes_at"] = timezone.localtime(later).replace(
                tzinfo=None, second=0, microsecond=0
            )


class CloseForm(forms.Form):
    """Closing a round before its deadline asks first: it is final."""

    confirm = forms.BooleanField(
        required=False,
        label=_("Yes, close the round now, before its deadline, and count the votes"),
    )

    def __init__(self, *args, election: Election | None = None, early: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.early = early
        if early:
            self.fields["confirm"].required = True
            self.fields["confirm"].error_messages["required"] = _(
                "Voting is open until %(deadline)s. Tick the box to close the round early."
            ) % {"deadline": when(election.closes_at)}


class _MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Nomination) -> str:
        return obj.participant.get_full_name() or obj.participant.username


class AgreeForm(forms.Form):
    """The GCC records the leader a team too small for a secret ballot agreed openly."""

    member = _MemberChoice(
        queryset=Nomination.objects.none(),
        label=_("The leader the team agreed on"),
        empty_label=_("Choose a member"),
        error_messages={
            "required": _("Choose the member the team agreed on."),
            "invalid_choice": _("Choose the member the team agreed on."),
        },
    )
    agreement = forms.CharField(
        label=_("How and when the team agreed"),
        max_length=AGREEMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. on the team's call of 3 March, all members agreed. The team reads it."),
        error_messages={
            "required": _("Say how and when the team agreed: the team and the GCC read it.")
        },
    )

    def __init__(self, *args, mission: Mission, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = (
            Nomination.objects.filter(mission=mission, status=Nomination.Status.ACCEPTED)
            .select_related("participant")
            .order_by("pk")
        )
