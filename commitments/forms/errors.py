"""A service's refusal, shown where the user typed."""

from django.core.exceptions import ValidationError
from django.forms import Form


def show_on_form(form: Form, error: ValidationError) -> None:
    """Put a service's field errors next to the form's fields, and the rest above them."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    rest = []
    for field, errors in error.error_dict.items():
        if field in form.fields:
            form.add_error(field, errors)
        else:
            rest += [message for e in errors for message in e.messages]
    if rest:
        form.add_error(None, rest)
