"""The form renderer (settings.FORM_RENDERER): Django's own, with its commonest templates
written in Python.

Django renders every widget, label and field group through its template engine, an option of
a select through an include of its own: the tracker's six filters took 5 ms, a quarter of the
page's own work. The templates below are written here to give the same HTML, byte for byte
(tests/formats/test_forms.py compares them with Django's for every case they take); anything
else, or a value they would show otherwise than as text (a date, a number), goes to the
templates as before. A template that a project or an app overrides is left to the templates.
"""

from __future__ import annotations

from html import escape

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.safestring import SafeData

DJANGO_FORMS = "django/forms/"
SELECT_OPTION = "django/forms/widgets/select_option.html"


class NotText(Exception):
    """A value the template would localise or format: the template renders it."""


def _text(value) -> str:
    """`{{ value|stringformat:'s' }}` and `{{ value }}` of a text, as the template writes
    them: escaped unless already safe."""
    if isinstance(value, SafeData):
        return str(value)
    if isinstance(value, str | Promise):
        return escape(str(value))
    raise NotText


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}` of any value (str() and escape, unless safe)."""
    if isinstance(value, SafeData):
        return str(value)
    return escape(str(value))


def _attrs(attrs: dict) -> str:
    """django/forms/attrs.html and django/forms/widgets/attrs.html."""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(context: dict) -> str:
    widget = context["widget"]
    value = widget["value"]
    shown = "" if value is None else f' value="{_formatted(value)}"'
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}'
        f"{_attrs(widget['attrs'])}>"
    )


def _option(option: dict) -> str:
    return (
        f'<option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_text(option['label'])}</option>\n"
    )


def _select(context: dict) -> str:
    widget = context["widget"]
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            if option["template_name"] != SELECT_OPTION:
                raise NotText
            parts.append(f"\n  {_option(option)}")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(context: dict) -> str:
    widget = context["widget"]
    value = _text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _label(context: dict) -> str:
    label = _text(context["label"])
    if not context["use_tag"]:
        return label
    tag = _text(context["tag"])
    return f"<{tag}{_attrs(context['attrs'] or {})}>{label}</{tag}>"


def _field(context: dict) -> str:
    field = context["field"]
    fieldset = field.use_fieldset
    if fieldset:
        described = field.aria_describedby
        described = f' aria-describedby="{_text(described)}"' if described else ""
        head = f"\n  <fieldset{described}>\n  {field.legend_tag() if field.label else ''}\n"
    else:
        head = f"\n  {field.label_tag() if field.label else ''}\n"
    help_text = ""
    if field.help_text:
        # `|safe`: a field's help text is the developer's, written as HTML.
        ids = f' id="{_text(field.auto_id)}_helptext"' if field.auto_id else ""
        help_text = f'<div class="helptext"{ids}>{field.help_text}</div>'
    tail = "</fieldset>" if fieldset else ""
    return f"{head}\n{help_text}\n{field.errors}\n{field}{tail}\n"


# Each of these is Django's input.html, included.
INPUTS = (
    *("input", "text", "number", "email", "url", "password", "hidden", "checkbox"),
    *("date", "datetime", "time", "file", "search", "tel", "color"),
)
WRITERS = {
    **{f"{DJANGO_FORMS}widgets/{name}.html": _input for name in INPUTS},
    f"{DJANGO_FORMS}widgets/select.html": _select,
    f"{DJANGO_FORMS}widgets/textarea.html": _textarea,
    f"{DJANGO_FORMS}label.html": _label,
    f"{DJANGO_FORMS}field.html": _field,
}


class FormRenderer(DjangoTemplates):
    """DjangoTemplates, with WRITERS in place of the templates they copy. Its engine finds
    Django's form templates before any app's (they are its DIRS), so what is copied here is
    what the templates say."""

    def render(self, template_name, context, request=None):
        writer = WRITERS.get(template_name)
        if writer is not None and request is None:
            try:
                # The template's own output is stripped too (BaseRenderer.render).
                return writer(context).strip()
            except NotText:
                pass
        return super().render(template_name, context, request)
