"""The spend-limit form the Team and API keys pages share, and its submission."""

from django import forms
from django.http import Http404

from genfans.accounts.spend_limits import MAX_MONTHLY_CAP, spend_limit_set
from genfans.core.errors import DomainError, NotFound
from genfans.core.http import client_ip
from genfans.web.errors import add_form_error


class SpendLimitForm(forms.Form):
    """One row's cap (the Team and API keys pages): empty removes it."""

    monthly_cap = forms.IntegerField(
        label="Monthly cap (credits)",
        required=False,
        min_value=0,
        max_value=MAX_MONTHLY_CAP,
        widget=forms.NumberInput(attrs={"placeholder": "No cap", "inputmode": "numeric"}),
    )


def spend_limit_form(subject_id, spend, *, failed: tuple | None = None) -> SpendLimitForm:
    """The row's form: the one that just failed, with its errors, or one showing the cap.
    Each row's inputs get their own ids, as every row has a field of the same name."""
    if failed and str(failed[0]) == str(subject_id):
        return failed[1]
    return SpendLimitForm(
        auto_id=f"cap-{subject_id}-%s", initial={"monthly_cap": spend.monthly_cap}
    )


def spend_limit_message(cap: int | None) -> str:
    if cap is None:
        return "Monthly cap removed."
    return f"Monthly cap set to {cap:,} credits."


def spend_limit_submit(request, **subject) -> tuple[SpendLimitForm, str]:
    """Apply an owner's cap form for one member (`member_user_id=`) or key (`api_key_id=`):
    the form, and the success message ("" when the form or the service refused it). The
    views that call it are `owner_required`."""
    [subject_id] = subject.values()
    form = SpendLimitForm(request.POST, auto_id=f"cap-{subject_id}-%s")
    if not form.is_valid():
        return form, ""
    try:
        cap = spend_limit_set(
            team=request.team,
            user=request.user,
            monthly_cap=form.cleaned_data["monthly_cap"],
            ip_address=client_ip(request),
            **subject,
        )
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        add_form_error(form, error)
        return form, ""
    return form, spend_limit_message(cap)
