"""Failed sign-in throttling, shared by every web and worker process through the cache."""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _email_key(prefix: str, email: str) -> str:
    # Hashed: an email can be longer than, or hold characters that, some caches refuse in keys.
    return f"{prefix}:{hashlib.sha256(email.lower().encode()).hexdigest()}"


def _keys(email: str, ip_address: str | None) -> list[str]:
    keys = [_email_key("signin-fail:email", email)]
    if ip_address:
        keys.append(f"signin-fail:ip:{ip_address}")
    return keys


def is_throttled(*, email: str, ip_address: str | None) -> bool:
    limit = settings.SIGN_IN_MAX_FAILURES
    # The per-IP budget is wider so one office behind a NAT is not locked out by one user.
    counts = cache.get_many(_keys(email, ip_address))
    return any(count >= (limit if ":email:" in key else limit * 4) for key, count in counts.items())


def record_failure(*, email: str, ip_address: str | None) -> None:
    for key in _keys(email, ip_address):
        cache.add(key, 0, timeout=settings.SIGN_IN_LOCKOUT_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=settings.SIGN_IN_LOCKOUT_SECONDS)


def reset(*, email: str) -> None:
    cache.delete(_email_key("signin-fail:email", email))


RESET_REQUESTS_PER_HOUR = 5


def reset_request_allowed(*, email: str) -> bool:
    """At most a few reset emails per address per hour, so the form cannot flood an inbox."""
    key = _email_key("reset-request", email)
    cache.add(key, 0, timeout=60 * 60)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=60 * 60)
        count = 1
    return count <= RESET_REQUESTS_PER_HOUR


VERIFICATION_EMAIL_INTERVAL_SECONDS = 60


def verification_email_claim(*, user_id) -> bool:
    """Take the user's one verification email of this minute; False when it is taken."""
    return cache.add(f"verify-email:{user_id}", 1, timeout=VERIFICATION_EMAIL_INTERVAL_SECONDS)
