"""Forms of lessons: recording one on a mission, and searching them.

They check what was typed and say what is wrong next to the field; who may do what is
decided by missions.lessons.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clusters.models import Country, GlobalCluster
from missions.models import Lesson
from missions.selectors.lessons import lesson_countries
from missions.services.lessons import (
    MESSAGES,
    TAG_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    tags_normalise,
)

# Generous on input: repeats and spaces go before the stored length is checked.
TAGS_INPUT_MAX_LENGTH = 1000
QUERY_MAX_LENGTH = 200


class LessonForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What is it?"),
        choices=Lesson.Kind.choices,
        initial=Lesson.Kind.LESSON,
        widget=forms.RadioSelect,
        error_messages={"required": MESSAGES["kind"], "invalid_choice": MESSAGES["kind"]},
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX_LENGTH,
        help_text=_("One line a reader can act on, e.g. “Agree the action points before leaving”."),
        error_messages={
            "required": MESSAGES["title_required"],
            "max_length": MESSAGES["title_too_long"],
        },
    )
    text = forms.CharField(
        label=_("The lesson"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "What happened, and what the next team should do. Two to four sentences "
            "are usually enough."
        ),
        error_messages={
            "required": MESSAGES["text_required"],
            "max_length": MESSAGES["text_too_long"],
        },
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=TAGS_INPUT_MAX_LENGTH,
        help_text=_("A few words, separated by commas, e.g. “hct, briefing papers, language”."),
        error_messages={"max_length": _("Use fewer or shorter tags.")},
    )
    clusters = forms.ModelMultipleChoiceField(
        queryset=GlobalCluster.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Clusters it concerns"),
        help_text=_("Leave empty if it concerns coordination as a whole."),
        error_messages={
            "invalid_choice": MESSAGES["clusters"],
            "invalid_pk_value": MESSAGES["clusters"],
        },
    )

    def clean_tags(self) -> str:
        return tags_normalise(self.cleaned_data["tags"])


class LessonSearchForm(forms.Form):
    """The search page's filters; every one optional, all combined."""

    q = forms.CharField(
        label=_("Words"),
        required=False,
        max_length=QUERY_MAX_LENGTH,
        help_text=_("Found in the title, the text or the tags."),
        # Django fills in the limit (QUERY_MAX_LENGTH) when it shows the message.
        error_messages={"max_length": _("Search for at most %(limit_value)d characters.")},
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("Lessons and good practice")), *Lesson.Kind.choices],
        required=False,
        error_messages={"invalid_choice": _("Choose a kind from the list.")},
    )
    country = forms.ModelChoiceField(
        queryset=Country.objects.none(),
        label=_("Country"),
        to_field_name="code",
        required=False,
        empty_label=_("Any country"),
        error_messages={"invalid_choice": _("Choose a country from the list.")},
    )
    cluster = forms.ModelChoiceField(
        queryset=GlobalCluster.objects.all(),
        label=_("Cluster"),
        to_field_name="code",
        required=False,
        empty_label=_("Any cluster"),
        error_messages={"invalid_choice": _("Choose a cluster from the list.")},
    )
    tag = forms.CharField(
        label=_("Tag"),
        required=False,
        max_length=TAG_MAX_LENGTH,
        error_messages={"max_length": _("That tag is too long.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].queryset = lesson_countries(user)

    def filters(self) -> dict:
        """The valid filters, ready for lesson_search (an invalid one is left out)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "q": data.get("q", ""),
            "kind": data.get("kind", ""),
            "country": data.get("country"),
            "cluster": data.get("cluster"),
            "tag": data.get("tag", ""),
        }
