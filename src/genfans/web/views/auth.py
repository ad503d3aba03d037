from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from genfans.accounts.errors import (
    InvalidResetLink,
    InvalidVerificationLink,
    TooManySignInAttempts,
)
from genfans.accounts.services import (
    EmailVerification,
    email_verification_resend,
    email_verify,
    password_reset_confirm,
    password_reset_request,
    password_reset_user_get,
    user_authenticate,
    user_sign_up,
    user_signed_in,
    user_signed_out,
)
from genfans.accounts.sign_in_pending import (
    sign_in_pending_end,
    sign_in_pending_start,
    sign_in_pending_user,
)
from genfans.accounts.two_factor import two_factor_enabled, two_factor_verify
from genfans.core.errors import DomainError, RateLimited
from genfans.core.http import client_ip
from genfans.emails.models import EmailKind
from genfans.emails.selectors import email_delivery_state_latest_for_user
from genfans.teams.errors import InvitationInvalid
from genfans.teams.middleware import SESSION_TEAM_KEY
from genfans.teams.selectors import invitation_get_open, membership_get
from genfans.teams.services import invitation_accept
from genfans.web.errors import add_form_error, retry_after_set
from genfans.web.forms import (
    ForgotPasswordForm,
    ResetPasswordForm,
    SignInForm,
    SignUpForm,
    TwoFactorSignInForm,
)


def _next_url(request, default: str = "/dashboard/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@require_http_methods(["GET", "POST"])
def sign_in(request):
    form = SignInForm(request.POST or None)
    status = 200
    refused = None
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        try:
            user = user_authenticate(
                request=request,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                ip_address=ip,
            )
        except DomainError as error:
            add_form_error(form, error)
            status = 429 if isinstance(error, TooManySignInAttempts) else 400
            refused = error
        else:
            if two_factor_enabled(user=user):
                sign_in_pending_start(request, user=user)
                return redirect(f"/sign-in/two-factor?next={quote(_next_url(request))}")
            login(request, user)
            user_signed_in(user=user, ip_address=ip)
            return redirect(_next_url(request))
    elif request.method == "POST":
        status = 400
    response = render(
        request,
        "web/auth/sign_in.html",
        {"form": form, "next": _next_url(request)},
        status=status,
    )
    retry_after_set(response, refused)
    return response


@require_http_methods(["GET", "POST"])
def sign_in_two_factor(request):
    """The second step for people with two-factor sign-in: the password was right, now a code."""
    try:
        user = sign_in_pending_user(request)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("sign-in")
    form = TwoFactorSignInForm(request.POST or None)
    status = 200
    refused = None
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        try:
            two_factor_verify(user=user, code=form.cleaned_data["code"], ip_address=ip)
        except DomainError as error:
            add_form_error(form, error)
            status = 429 if isinstance(error, RateLimited) else 400
            refused = error
        else:
            sign_in_pending_end(request)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            user_signed_in(user=user, ip_address=ip)
            return redirect(_next_url(request))
    elif request.method == "POST":
        status = 400
    response = render(
        request,
        "web/auth/sign_in_two_factor.html",
        {"form": form, "next": _next_url(request)},
        status=status,
    )
    retry_after_set(response, refused)
    return response


def _open_invitation(invite_id):
    if not invite_id:
        return None, None
    try:
        return invitation_get_open(invitation_id=invite_id), None
    except InvitationInvalid as error:
        return None, error.message


@require_http_methods(["GET", "POST"])
def sign_up(request):
    invite_id = request.POST.get("invite_id") or request.GET.get("invite") or ""
    invitation, invitation_error = _open_invitation(invite_id)
    initial = {"invite_id": invite_id, "email": invitation.email if invitation else ""}
    form = SignUpForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = user_sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                name=form.cleaned_data["name"],
                invite_id=form.cleaned_data["invite_id"] or None,
                ip_address=client_ip(request),
            )
        except DomainError as error:
            add_form_error(form, error)
            status = 400
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            membership = membership_get(user=user)
            if membership:
                request.session[SESSION_TEAM_KEY] = str(membership.team_id)
            if invitation:
                messages.success(request, f"Welcome to {invitation.team.name}!")
            return redirect(_next_url(request))
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "web/auth/sign_up.html",
        {
            "form": form,
            "next": _next_url(request),
            "invitation": invitation,
            "invitation_error": invitation_error,
        },
        status=status,
    )


@require_POST
def sign_out(request):
    if request.user.is_authenticated:
        user_signed_out(user=request.user, team=request.team, ip_address=client_ip(request))
    logout(request)
    return redirect("landing")


def _own_reset_email(request, email: str):
    """Where the reset email is, told only to the signed-in owner of the address: to anyone else
    it would say whether the address has an account."""
    user = request.user
    if not user.is_authenticated or user.email.lower() != email.strip().lower():
        return None
    return email_delivery_state_latest_for_user(user=user, kind=EmailKind.PASSWORD_RESET)


@require_http_methods(["GET", "POST"])
def forgot_password(request):
    form = ForgotPasswordForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                password_reset_request(
                    email=form.cleaned_data["email"], ip_address=client_ip(request)
                )
            except DomainError as error:
                add_form_error(form, error)
            else:
                sent = form.cleaned_data["email"]
                context = {"sent": sent, "email": _own_reset_email(request, sent)}
                return render(request, "web/auth/forgot_password.html", context)
        return render(request, "web/auth/forgot_password.html", {"form": form}, status=400)
    if request.htmx and request.GET.get("sent"):
        sent = request.GET["sent"]
        context = {"sent": sent, "email": _own_reset_email(request, sent)}
        return render(request, "web/auth/forgot_password.html#reset-email", context)
    return render(request, "web/auth/forgot_password.html", {"form": form})


@require_http_methods(["GET", "POST"])
def reset_password(request, uidb64: str, token: str):
    try:
        password_reset_user_get(uidb64=uidb64, token=token)
    except InvalidResetLink as error:
        return render(
            request, "web/auth/reset_password.html", {"invalid": error.message}, status=400
        )
    form = ResetPasswordForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                password_reset_confirm(
                    uidb64=uidb64,
                    token=token,
                    new_password=form.cleaned_data["password"],
                    ip_address=client_ip(request),
                )
            except DomainError as error:
                add_form_error(form, error)
            else:
                messages.success(request, "Your password was changed. Sign in with it.")
                return redirect("sign-in")
        return render(request, "web/auth/reset_password.html", {"form": form}, status=400)
    return render(request, "web/auth/reset_password.html", {"form": form})


@require_http_methods(["GET", "POST"])
def invitation(request, invitation_id):
    """The link in an invitation email: sign up, or sign in and accept."""
    try:
        invite = invitation_get_open(invitation_id=invitation_id)
    except InvitationInvalid as error:
        return render(request, "web/auth/invitation.html", {"invalid": error.message}, status=400)
    email_matches = (
        request.user.is_authenticated and request.user.email.lower() == invite.email.lower()
    )
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/sign-in?next=/invite/{invite.id}")
        try:
            membership = invitation_accept(
                invitation_id=invite.id, user=request.user, ip_address=client_ip(request)
            )
        except DomainError as error:
            messages.error(request, error.message)
            return redirect(f"/invite/{invite.id}")
        request.session[SESSION_TEAM_KEY] = str(membership.team_id)
        messages.success(request, f"You joined {membership.team.name}.")
        return redirect("dashboard")
    return render(
        request,
        "web/auth/invitation.html",
        {"invitation": invite, "email_matches": email_matches},
    )


def _verification_message(outcome: EmailVerification) -> str:
    if not outcome.newly_verified:
        return "Your email is already verified."
    if outcome.credits_granted:
        return (
            f"Your email is verified: {outcome.credits_granted} free credits were added to "
            f"{outcome.team.name}."
        )
    if outcome.team is None:
        return "Your email is verified. Your free credits arrive with the first team you create."
    return (
        "Your email is verified, thank you. The free credits come once per person and this "
        "address has had them before, on an earlier account, so none were added this time."
    )


@require_GET
def verify_email(request, token: str):
    """The link in the sign-up email."""
    try:
        outcome = email_verify(token=token, ip_address=client_ip(request))
    except InvalidVerificationLink as error:
        return render(request, "web/auth/verify_email.html", {"invalid": error.message}, status=400)
    level = messages.SUCCESS if outcome.credits_granted else messages.INFO
    messages.add_message(request, level, _verification_message(outcome))
    return redirect("dashboard")


@login_required
@require_POST
def verify_email_resend(request):
    try:
        email_verification_resend(user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"A new link is on its way to {request.user.email}.")
    return redirect(_next_url(request))
