"""The form renderer writes what Django's templates write, byte for byte, for every case its
Python takes, and leaves the rest to them."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from clusters.models import GlobalCluster
from formats.forms import FormRenderer


class Everything(forms.Form):
    name = forms.CharField(
        label="Name <b>&",
        max_length=20,
        help_text="Your <em>full</em> name.",
        widget=forms.TextInput(
            attrs={"placeholder": gettext_lazy("Search"), "autofocus": True, "hidden": False}
        ),
    )
    why = forms.CharField(label="Why?", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    note = forms.CharField(required=False, disabled=True, initial=mark_safe("<i>safe</i>"))
    secret = forms.CharField(label="", required=False, widget=forms.PasswordInput)
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    email = forms.EmailField(required=False)
    size = forms.IntegerField(required=False, initial=1234)
    on = forms.DateField(
        label=gettext_lazy("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    agree = forms.BooleanField(required=False, initial=True)
    status = forms.ChoiceField(
        choices=[
            ("", gettext_lazy("Any status")),
            ("open", gettext_lazy("Open")),
            ("a&b", 'Quotes " and <tags>'),
        ],
        required=False,
    )
    grouped = forms.ChoiceField(
        choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("other", "Other")],
        required=False,
    )
    numbered = forms.ChoiceField(choices=[(1, 1), (2, 2)], required=False)  # not text: templates
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], required=False)
    cluster = forms.ModelChoiceField(
        queryset=GlobalCluster.objects.order_by("name"), required=False
    )
    kind = forms.ChoiceField(
        choices=[("x", "X"), ("y", "Y")], widget=forms.RadioSelect, required=False
    )
    kinds = forms.MultipleChoiceField(
        choices=[("x", "X"), ("y", "Y")], widget=forms.CheckboxSelectMultiple, required=False
    )
    upload = forms.FileField(required=False)


BOUND = {
    "name": 'Too long a name with <script>"quotes"</script>',
    "why": "Because & <because>",
    "email": "not an e-mail",
    "size": "12.5",
    "on": "2026-02-30",
    "status": "a&b",
    "grouped": "pear",
    "numbered": "2",
    "many": ["a", "b"],
    "cluster": "nonsense",
    "kind": "y",
    "kinds": ["x"],
}


def renders(form) -> list[str]:
    """Everything a page may ask of the form and its fields."""
    out = [form.as_div(), form.as_p(), form.as_table(), form.as_ul(), str(form.non_field_errors())]
    for field in form:
        out += [field.as_field_group(), str(field), field.label_tag(), field.legend_tag()]
        out.append(str(field.errors))
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en-gb", "fr", "ar"])
@pytest.mark.parametrize(
    "make",
    [
        lambda r: Everything(renderer=r),
        lambda r: Everything(BOUND, renderer=r),
        lambda r: Everything(renderer=r, auto_id=False),
        lambda r: Everything(renderer=r, auto_id="filter_%s", label_suffix=""),
        lambda r: Everything(
            renderer=r, initial={"on": datetime.date(2026, 12, 3), "status": "open"}
        ),
    ],
    ids=["unbound", "bound-with-errors", "no-ids", "other-ids", "initial"],
)
def test_the_renderer_writes_what_djangos_templates_write(language, make):
    with translation.override(language):
        assert renders(make(FormRenderer())) == renders(make(DjangoTemplates()))


def test_it_is_the_forms_renderer():
    assert isinstance(get_default_renderer(), FormRenderer)


def test_a_value_it_would_not_write_as_text_goes_to_the_templates(monkeypatch):
    written = []
    original = DjangoTemplates.render

    def render(self, template_name, context, request=None):
        written.append(template_name)
        return original(self, template_name, context, request)

    monkeypatch.setattr(DjangoTemplates, "render", render)
    form = Everything(renderer=FormRenderer())
    str(form["status"])
    str(form["numbered"])
    assert written == ["django/forms/widgets/select.html"]  # the numbered one only
