"""General (name, email) and Security (password, sessions, delete account) pages."""

from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from genfans.accounts.services import (
    user_delete,
    user_password_change,
    user_sessions_end_others,
    user_update,
)
from genfans.core.errors import DomainError
from genfans.core.http import client_ip
from genfans.teams.selectors import membership_list_for_user
from genfans.web.errors import add_form_error
from genfans.web.forms import AccountForm, DeleteAccountForm, PasswordChangeForm


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


def _security(request, status=200, **forms):
    context = {
        "password_form": forms.get("password_form") or PasswordChangeForm(),
        "delete_form": forms.get("delete_form") or DeleteAccountForm(),
        "owned_teams": [m.team for m in membership_list_for_user(user=request.user) if m.is_owner],
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
