"""Email verification links: a signed, timestamped token naming the user and the address it
was sent to, so nothing is stored and a link for an address the user no longer has is dead."""

from datetime import timedelta

from django.core import signing

from genfans.accounts.errors import InvalidVerificationLink
from genfans.accounts.models import User

VERIFICATION_MAX_AGE = timedelta(days=3)
_SALT = "genfans.accounts.email-verification"


def email_verification_token_make(user: User) -> str:
    return signing.dumps({"user": str(user.pk), "email": user.email.lower()}, salt=_SALT)


def email_verification_token_read(token: str) -> tuple[str, str]:
    """The user id and the address a valid token was made for."""
    try:
        payload = signing.loads(token or "", salt=_SALT, max_age=VERIFICATION_MAX_AGE)
    except signing.SignatureExpired:
        raise InvalidVerificationLink(
            "This verification link has expired. Ask for a new one from your dashboard."
        ) from None
    except signing.BadSignature:
        raise InvalidVerificationLink() from None
    # Only this module signs with the salt, so a payload that verifies has both keys.
    return payload["user"], payload["email"]
