from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from genfans.accounts.errors import TooManySignInAttempts
from genfans.accounts.services import user_authenticate, user_sign_up
from genfans.core.errors import DomainError
from genfans.core.http import client_ip
from genfans.teams.activity import activity_record
from genfans.teams.models import Action
from genfans.teams.selectors import membership_get
from genfans.web.errors import add_form_error
from genfans.web.forms import SignInForm, SignUpForm


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
        else:
            login(request, user)
            membership = membership_get(user=user)
            activity_record(
                action=Action.SIGN_IN,
                team=membership.team if membership else None,
                user=user,
                ip_address=ip,
            )
            return redirect(_next_url(request))
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "web/auth/sign_in.html",
        {"form": form, "next": _next_url(request)},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def sign_up(request):
    form = SignUpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = user_sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                name=form.cleaned_data["name"],
                ip_address=client_ip(request),
            )
        except DomainError as error:
            add_form_error(form, error)
            status = 400
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(_next_url(request))
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "web/auth/sign_up.html",
        {"form": form, "next": _next_url(request)},
        status=status,
    )


@require_POST
def sign_out(request):
    if request.user.is_authenticated:
        activity_record(
            action=Action.SIGN_OUT,
            team=request.team,
            user=request.user,
            ip_address=client_ip(request),
        )
    logout(request)
    return redirect("landing")
