from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect, render

from genfans.accounts.errors import TwoFactorSetupRequired
from genfans.accounts.two_factor import two_factor_setup_required
from genfans.teams.errors import NotTeamOwner
from genfans.teams.services import team_owner_require


def team_required(view):
    """Signed-in users with a team only; visitors go to /sign-in?next=…, signed-in users
    without a team (e.g. removed from it) to /welcome, and members of a team that requires
    two-factor sign-in who have not set it up to the Security page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.membership is None:
            return redirect("no-team")
        if two_factor_setup_required(user=request.user, team=request.team):
            messages.warning(request, TwoFactorSetupRequired.default_message)
            return redirect("/dashboard/security#two-factor")
        return view(request, *args, **kwargs)

    return wrapper


def owner_refusal(request) -> HttpResponse | None:
    """The domain's one owner rule (`team_owner_require`), answered as a page: None for an
    owner, else a 403 carrying NotTeamOwner's message, as the API answers it."""
    try:
        team_owner_require(team=request.team, user=request.user)
    except NotTeamOwner as error:
        context = {"message": error.message, "code": error.code}
        return render(request, "web/forbidden.html", context, status=403)
    return None


def owner_required(view):
    @wraps(view)
    @team_required
    def wrapper(request, *args, **kwargs):
        return owner_refusal(request) or view(request, *args, **kwargs)

    return wrapper
