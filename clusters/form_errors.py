"""A service's refusal, shown where the user typed: for the forms of every app (here, in the
lowest one)."""

from django.core.exceptions import ValidationError
from django.forms import Form


def errors_onto(form: Form, error: ValidationError) -> str:
    """Put a service's field errors next to the form's fields; return the rest as one text
    (messages with no field, or for a field the form does not have), for the caller to show
    where it belongs."""
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    rest = []
    for field, errors in error.error_dict.items():
        if field in form.fields:
            form.add_error(field, errors)
        else:
            rest += [message for e in errors for message in e.messages]
    return " ".join(rest)


def show_on_form(form: Form, error: ValidationError) -> None:
    """Put all of a service's refusal on the form: by field, and the rest above the fields."""
    rest = errors_onto(form, error)
    if rest:
        form.add_error(None, rest)
