"""Forms of the perimeter: a second-factor code."""

from django import forms
from django.utils.translation import gettext_lazy as _


class SecondFactorCodeForm(forms.Form):
    """One field: the six digits the authenticator app shows, or one of the backup codes."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class AuthenticatorConfirmForm(forms.Form):
    """Confirms a new authenticator: a code it shows proves it was set up with the secret."""

    code = forms.CharField(
        label=_("The six-digit code your app shows"),
        max_length=12,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
