"""Sign-in throttling and the other per-address limits of accounts, on `core.ratelimit`.

A sign-in attempt is counted before the password is checked, and admitted or refused from the
count the increment returned, so parallel guesses cannot all pass one check before any of them
is counted. Three budgets, each wider than the last, are spent in order:

- the account from this IP (`SIGN_IN_MAX_FAILURES`): someone guessing from elsewhere never
  spends the owner's own budget;
- the account from every IP (`SIGN_IN_ACCOUNT_MAX_FAILURES`): a guesser with many addresses;
- the IP across every account (`SIGN_IN_IP_MAX_FAILURES`): one address trying many accounts,
  set high because a whole office can sit behind one address.

A budget holds for `SIGN_IN_WINDOW_SECONDS` from its first attempt. Once spent, one more attempt
is admitted per slot, and the slots double in length (`SIGN_IN_BACKOFF_SECONDS`, then twice
that, …), so a guesser slows down exponentially instead of locking anyone out for a fixed time.
Slots are numbered from the window's start, and each admits the single attempt that counts it
first, which keeps the backoff race-free too. A successful sign-in clears its own (account, IP)
budget and gives back what it spent of the other two.
"""

import hashlib
import math
from dataclasses import dataclass

from django.conf import settings

from genfans.accounts.errors import TooManySignInAttempts
from genfans.core.ratelimit import counter_hit, counter_refund, counters_delete


def _email_hash(email: str) -> str:
    # Hashed: keys stay short whatever the address, and the table holds no addresses.
    return hashlib.sha256(email.lower().encode()).hexdigest()


@dataclass(frozen=True)
class _Budget:
    key: str
    limit: int


def _budgets(*, email: str, ip_address: str | None) -> list[_Budget]:
    account = _email_hash(email)
    budgets = [
        _Budget(f"signin/pair/{account}/{ip_address or '-'}", settings.SIGN_IN_MAX_FAILURES),
        _Budget(f"signin/account/{account}", settings.SIGN_IN_ACCOUNT_MAX_FAILURES),
    ]
    if ip_address:
        budgets.append(_Budget(f"signin/ip/{ip_address}", settings.SIGN_IN_IP_MAX_FAILURES))
    return budgets


def _slot(elapsed_seconds: float) -> int:
    """Slot 0 is [0, b), slot 1 [b, 3b), slot 2 [3b, 7b), …: slot k starts at b·(2^k − 1)."""
    return int(math.log2(elapsed_seconds / settings.SIGN_IN_BACKOFF_SECONDS + 1))


def _slot_start(slot: int) -> float:
    return settings.SIGN_IN_BACKOFF_SECONDS * (2**slot - 1)


def _spend(budget: _Budget) -> int | None:
    """Count an attempt against the budget; None when admitted, else seconds to wait."""
    window = settings.SIGN_IN_WINDOW_SECONDS
    hit = counter_hit(key=budget.key, window_seconds=window)
    if hit.count <= budget.limit:
        return None
    elapsed = hit.elapsed_seconds
    slot = _slot(elapsed)
    # The window's start is in the key: a slot of the last window must not fill this one's.
    slot_key = f"{budget.key}/slot/{hit.window_start.timestamp():.0f}/{slot}"
    if slot > 0 and counter_hit(key=slot_key, window_seconds=window).count == 1:
        return None
    wait = min(_slot_start(slot + 1), window) - elapsed
    return max(1, math.ceil(wait))


def sign_in_attempt_admit(*, email: str, ip_address: str | None) -> None:
    """Count a sign-in attempt; raises TooManySignInAttempts (with `retry_after` seconds)
    instead of admitting it once a budget is spent."""
    for budget in _budgets(email=email, ip_address=ip_address):
        wait = _spend(budget)
        if wait is not None:
            raise TooManySignInAttempts(
                f"Too many failed sign-in attempts. Try again in {_wait_text(wait)}.",
                retry_after=wait,
            )


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' * (seconds != 1)}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' * (minutes != 1)}"


def sign_in_succeeded(*, email: str, ip_address: str | None) -> None:
    pair, *wider = _budgets(email=email, ip_address=ip_address)
    counters_delete(keys=(pair.key,), prefixes=(f"{pair.key}/",))
    for budget in wider:
        counter_refund(key=budget.key)


def sign_in_budgets_clear(*, email: str) -> None:
    """A new password: the account starts afresh from every address."""
    account = _email_hash(email)
    counters_delete(
        keys=(f"signin/account/{account}",),
        prefixes=(f"signin/account/{account}/", f"signin/pair/{account}/"),
    )


RESET_REQUESTS_PER_HOUR = 5


def reset_request_allowed(*, email: str) -> bool:
    """At most a few reset emails per address per hour, so the form cannot flood an inbox."""
    hit = counter_hit(key=f"reset-request/{_email_hash(email)}", window_seconds=60 * 60)
    return hit.count <= RESET_REQUESTS_PER_HOUR


VERIFICATION_EMAIL_INTERVAL_SECONDS = 60


def verification_email_claim(*, user_id) -> bool:
    """Take the user's one verification email of this minute; False when it is taken."""
    hit = counter_hit(
        key=f"verify-email/{user_id}", window_seconds=VERIFICATION_EMAIL_INTERVAL_SECONDS
    )
    return hit.count == 1
