"""Credits helpers for any app's tests."""

import itertools

from genfans.credits.services import credits_grant
from genfans.studio.models import Job, JobType

_keys = itertools.count(1)


def give_credits(team, amount: int) -> None:
    """Add `amount` available (non-expiring) credits to `team`."""
    credits_grant(team=team, amount=amount, idempotency_key=f"test:{team.pk}:{next(_keys)}")


def set_credits(team, amount: int) -> None:
    """Make `team` have exactly `amount` available credits (only grants: the ledger stays exact).
    Works only upwards from the current balance; use a fresh team for smaller amounts."""
    from genfans.credits.selectors import credits_balance_get

    missing = amount - credits_balance_get(team=team).available
    if missing < 0:
        raise ValueError("set_credits cannot lower a balance; use credits_adjust")
    if missing:
        give_credits(team, missing)


def make_job(team, *, type: str = JobType.IMAGE_GENERATION, params: dict | None = None, **fields):
    """A bare studio Job row (no reservation, no dispatch): for ledger tests."""
    return Job.objects.create(team=team, type=type, params=params or {}, **fields)
