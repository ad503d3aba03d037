from django import forms

from genfans.studio.operations.base import MAX_PROMPT
from genfans.teams.models import Role


class PromptField(forms.CharField):
    """A prompt of at most MAX_PROMPT characters, refused with the limit when longer.

    No HTML `maxlength`: a browser cuts a longer paste to the limit without a word, and the
    page then submits a prompt the person never wrote. The limit travels as `data-max-length`
    for the page's counter instead."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_PROMPT)
        super().__init__(**kwargs)
        self.error_messages["max_length"] = (
            f"A prompt can be at most {self.max_length:,} characters; "
            "this one has %(show_value)s. Shorten it and submit again."
        )

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        attrs["data-max-length"] = str(self.max_length)
        return attrs


def _password(autocomplete: str, **kwargs) -> forms.CharField:
    return forms.CharField(
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
        **kwargs,
    )


class SignInForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = _password("current-password")


class SignUpForm(forms.Form):
    name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        min_length=8,
        max_length=128,
        strip=False,
        help_text="At least 8 characters.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    invite_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class ResetPasswordForm(forms.Form):
    password = _password("new-password", label="New password", help_text="At least 8 characters.")


class AccountForm(forms.Form):
    name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class PasswordChangeForm(forms.Form):
    current_password = _password("current-password")
    new_password = _password(
        "new-password",
        help_text="At least 8 characters. Your other sessions will be signed out.",
    )


class DeleteAccountForm(forms.Form):
    password = _password("current-password", label="Confirm with your password", help_text=None)


class DataExportForm(forms.Form):
    password = _password("current-password", label="Confirm with your password", help_text=None)


def _code(label: str = "Code from your authenticator app"):
    return forms.CharField(
        label=label,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


class TwoFactorCodeForm(forms.Form):
    code = _code()


class TwoFactorSignInForm(forms.Form):
    code = _code("Code from your authenticator app, or a recovery code")


class TwoFactorDisableForm(forms.Form):
    password = _password("current-password", label="Your password", help_text=None)
    code = _code("A current code (or a recovery code)")


class InviteForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"placeholder": "teammate@company.com"}))
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class TeamNameForm(forms.Form):
    name = forms.CharField(label="Team name", max_length=100)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Key name", max_length=100, widget=forms.TextInput(attrs={"placeholder": "CI"})
    )
