"""General (name, email) and Security (password, two-factor sign-in, sessions, download your
data, delete account) pages."""

import tempfile
from base64 import b32encode

from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from genfans.accounts.services import (
    user_delete,
    user_password_change,
    user_sessions_end_others,
    user_update,
)
from genfans.accounts.two_factor import (
    recovery_codes_regenerate,
    recovery_codes_remaining,
    two_factor_confirm,
    two_factor_disable,
    two_factor_enabled,
    two_factor_setup_pending,
    two_factor_setup_required,
    two_factor_setup_start,
)
from genfans.core.errors import DomainError, RateLimited
from genfans.core.http import client_ip
from genfans.privacy.export import personal_data_export_allow, personal_data_export_write
from genfans.teams.selectors import membership_list_for_user
from genfans.web.errors import add_form_error
from genfans.web.forms import (
    AccountForm,
    DataExportForm,
    DeleteAccountForm,
    PasswordChangeForm,
    TwoFactorCodeForm,
    TwoFactorDisableForm,
)
from genfans.web.qr import qr_svg


@login_required
@require_http_methods(["GET", "POST"])
def general(request):
    user = request.user
    form = AccountForm(request.POST or None, initial={"name": user.name, "email": user.email})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            email_before = user.email
            try:
                user_update(
                    user=user,
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    team=request.team,
                    ip_address=client_ip(request),
                )
            except DomainError as error:
                add_form_error(form, error)
                user.refresh_from_db()
            else:
                messages.success(request, "Your account was updated.")
                if user.email != email_before:
                    messages.info(request, f"Verify {user.email} with the link we email it.")
                return redirect("account-general")
        status = 400
    return render(request, "web/account/general.html", {"form": form}, status=status)


def _two_factor_setup(device) -> dict | None:
    if device is None:
        return None
    secret = b32encode(device.bin_key).decode()
    return {
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "uri": device.config_url,
        "qr": qr_svg(device.config_url),
    }


def _security(request, status=200, recovery_codes=None, **forms):
    user = request.user
    enabled = two_factor_enabled(user=user)
    context = {
        "password_form": forms.get("password_form") or PasswordChangeForm(),
        "delete_form": forms.get("delete_form") or DeleteAccountForm(),
        "export_form": forms.get("export_form") or DataExportForm(),
        "owned_teams": [m.team for m in membership_list_for_user(user=user) if m.is_owner],
        "two_factor_enabled": enabled,
        "two_factor_setup": None
        if enabled
        else _two_factor_setup(two_factor_setup_pending(user=user)),
        "two_factor_required_by_team": two_factor_setup_required(user=user, team=request.team),
        "confirm_form": forms.get("confirm_form") or TwoFactorCodeForm(),
        "disable_form": forms.get("disable_form") or TwoFactorDisableForm(),
        "recovery_codes": recovery_codes,
        "recovery_codes_remaining": recovery_codes_remaining(user=user) if enabled else 0,
    }
    return render(request, "web/account/security.html", context, status=status)


@login_required
def security(request):
    return _security(request)


@login_required
@require_POST
def password_change(request):
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        try:
            user = user_password_change(
                user=request.user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
                team=request.team,
                ip_address=client_ip(request),
            )
        except DomainError as error:
            add_form_error(form, error)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, "Password changed. Your other sessions were signed out.")
            return redirect("account-security")
    return _security(request, status=400, password_form=form)


@login_required
@require_POST
def sessions_end_others(request):
    user = user_sessions_end_others(
        user=request.user, team=request.team, ip_address=client_ip(request)
    )
    update_session_auth_hash(request, user)
    messages.success(request, "Every other session was signed out.")
    return redirect("account-security")


@login_required
@require_POST
def data_export(request):
    form = DataExportForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            personal_data_export_allow(
                user=request.user,
                password=form.cleaned_data["password"],
                team=request.team,
                ip_address=client_ip(request),
            )
        except DomainError as error:
            add_form_error(form, error)
            status = 429 if isinstance(error, RateLimited) else 400
        else:
            # Spooled: a small export stays in memory, a large one goes to a temporary file;
            # FileResponse closes it (and so removes it) once it is sent.
            archive = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
            personal_data_export_write(user=request.user, out=archive)
            archive.seek(0)
            filename = f"genfans-data-{timezone.localdate():%Y-%m-%d}.zip"
            return FileResponse(
                archive, as_attachment=True, filename=filename, content_type="application/zip"
            )
    return _security(request, status=status, export_form=form)


@login_required
@require_POST
def delete_account(request):
    form = DeleteAccountForm(request.POST)
    if form.is_valid():
        try:
            user_delete(
                user=request.user,
                password=form.cleaned_data["password"],
                ip_address=client_ip(request),
            )
        except DomainError as error:
            add_form_error(form, error)
        else:
            logout(request)
            messages.success(request, "Your account was deleted.")
            return redirect("landing")
    return _security(request, status=400, delete_form=form)


@login_required
@require_POST
def two_factor_start(request):
    try:
        two_factor_setup_start(user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("/dashboard/security#two-factor")


@login_required
@require_POST
def two_factor_confirm_view(request):
    form = TwoFactorCodeForm(request.POST)
    if form.is_valid():
        try:
            codes = two_factor_confirm(
                user=request.user,
                code=form.cleaned_data["code"],
                team=request.team,
                ip_address=client_ip(request),
            )
        except DomainError as error:
            add_form_error(form, error)
        else:
            messages.success(request, "Two-factor sign-in is on.")
            # Rendered, not redirected: the codes are shown this once and stored nowhere else.
            return _security(request, recovery_codes=codes)
    return _security(request, status=400, confirm_form=form)


@login_required
@require_POST
def recovery_codes_regenerate_view(request):
    try:
        codes = recovery_codes_regenerate(
            user=request.user, team=request.team, ip_address=client_ip(request)
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("/dashboard/security#two-factor")
    messages.success(request, "New recovery codes are ready; the old ones no longer work.")
    return _security(request, recovery_codes=codes)


@login_required
@require_POST
def two_factor_disable_view(request):
    form = TwoFactorDisableForm(request.POST)
    if form.is_valid():
        try:
            two_factor_disable(
                user=request.user,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
                team=request.team,
                ip_address=client_ip(request),
            )
        except DomainError as error:
            add_form_error(form, error)
        else:
            messages.success(request, "Two-factor sign-in is off.")
            return redirect("account-security")
    return _security(request, status=400, disable_form=form)
