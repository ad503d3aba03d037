from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from genfans.accounts.errors import TwoFactorSetupRequired
from genfans.accounts.two_factor import two_factor_setup_required


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


def owner_required(view):
    @wraps(view)
    @team_required
    def wrapper(request, *args, **kwargs):
        if not request.membership.is_owner:
            raise PermissionDenied("Only a team owner can do that.")
        return view(request, *args, **kwargs)

    return wrapper
