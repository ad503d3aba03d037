"""Between the password and the two-factor code, the browser's session remembers who passed the
first step. It is not a sign-in: nothing but the code step reads it."""

import time

from django.utils.crypto import constant_time_compare

from genfans.accounts.errors import TwoFactorPendingExpired
from genfans.accounts.models import User

SESSION_KEY = "two_factor_pending"
PENDING_SECONDS = 5 * 60


def sign_in_pending_start(request, *, user: User) -> None:
    request.session[SESSION_KEY] = {
        "user_id": str(user.pk),
        "started_at": time.time(),
        # A password changed in between ends the pending step, as it ends sessions.
        "auth_hash": user.get_session_auth_hash(),
    }


def sign_in_pending_user(request) -> User:
    """The user who gave the right password a moment ago; 400 once it is too long ago."""
    pending = request.session.get(SESSION_KEY)
    if not isinstance(pending, dict) or time.time() - pending["started_at"] > PENDING_SECONDS:
        raise TwoFactorPendingExpired()
    user = User.objects.filter(pk=pending["user_id"], is_active=True).first()
    if user is None or not constant_time_compare(
        user.get_session_auth_hash(), pending["auth_hash"]
    ):
        raise TwoFactorPendingExpired()
    return user


def sign_in_pending_end(request) -> None:
    request.session.pop(SESSION_KEY, None)
