from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def team_required(view):
    """Signed-in users with a team only; visitors go to /sign-in?next=…."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated or request.membership is None:
            return redirect_to_login(request.get_full_path())
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
