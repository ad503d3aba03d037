"""Every row lock the app takes, and the one order they are taken in.

Each lock is `SELECT … FOR UPDATE OF <the model's own table>` (so a join never locks a row it
did not mean to: `select_related("plan")` would otherwise lock the plan every team of it
shares), ordered by primary key when it takes several rows. The services call `rows_locked`
with the lock's name; a conditional `UPDATE` that takes a row lock by itself (the credit
balance, a reservation, a team's slot counter) says so with `lock_noted`.

The order, earliest first. A transaction may take a lock further down the list while it holds
one further up, never the reverse (a lock it already holds may be taken again):

    two_factor_device → stripe_event → credit_purchase → team_billing → team
    → subscription_period → api_key → job → slots → reservation → balance → model_version
    → custom_model → asset

Load-bearing: a submit takes the team's slots, then the job's reservation, then the balance;
a finish, fail or cancel frees the slot, then resolves the reservation, then moves the balance
(reservation before balance: the other way round deadlocked). Training bookkeeping runs after
the credits in the same transactions, so the model rows come after the balance. A lock taken
with `skip_locked` never waits, so it is outside the order.

No lock is held across storage or provider I/O: files are read, probed, zipped and written
before the transaction that locks (see `studio.services.job_finish` and `_job_submit`). The
names held by the current transaction are recorded on the connection (`locks_held`), which is
how the tests prove it.
"""

from django.db import connection, transaction
from django.db.models import QuerySet

ORDER = (
    "two_factor_device",
    "stripe_event",
    "credit_purchase",
    "team_billing",
    "team",
    "subscription_period",
    "api_key",
    "job",
    "slots",
    "reservation",
    "balance",
    "model_version",
    "custom_model",
    "asset",
)
RANK = {name: rank for rank, name in enumerate(ORDER)}


class LockOrderError(RuntimeError):
    """A lock was asked for while a lock later in ORDER is held: a deadlock waiting to happen."""


class _Held:
    """The locks one transaction holds. It lives as long as a no-op on-commit callback of that
    transaction (`marker`): Django drops those at commit and at rollback, so a later
    transaction never sees it. Inside a test case's wrapping transaction (which never commits)
    the service's own atomic block is a savepoint, and its id says which transaction it is."""

    def __init__(self, token) -> None:
        self.token = token
        self.names: list[str] = []

    def marker(self) -> None:
        pass

    def current(self, token) -> bool:
        if token != self.token:
            return False
        if token is not None:
            return True
        return any(func == self.marker for _, func, _ in connection.run_on_commit)


def _token():
    """None in a real transaction; in a test case's, the savepoint of its first service block."""
    wrapped = sum(1 for block in connection.atomic_blocks if block._from_testcase)
    if not wrapped:
        return None
    if len(connection.atomic_blocks) == wrapped:
        return ("test", connection.savepoint_state)
    return ("savepoint", connection.savepoint_ids[wrapped - 1] or connection.savepoint_state)


def _held(*, create: bool) -> _Held | None:
    if not connection.in_atomic_block:
        return None
    token = _token()
    held = getattr(connection, "_genfans_locks", None)
    if held is not None and held.current(token):
        return held
    if not create:
        return None
    held = _Held(token)
    if token is None:
        transaction.on_commit(held.marker)
    connection._genfans_locks = held
    return held


def locks_held() -> tuple[str, ...]:
    """The names of the locks the current transaction holds, in the order it took them."""
    held = _held(create=False)
    return tuple(held.names) if held else ()


def lock_noted(name: str, *, check: bool = True) -> None:
    """Record that the current transaction takes (or has taken) lock `name`; LockOrderError
    when it holds a lock that comes later in ORDER."""
    if name not in RANK:
        raise ValueError(f"unknown lock {name!r}: add it to ORDER")
    held = _held(create=True)
    if held is None or name in held.names:
        return  # autocommit: the statement's lock ends with it
    if check:
        later = [other for other in held.names if RANK[other] > RANK[name]]
        if later:
            raise LockOrderError(f"lock {name!r} taken while holding {later}: see {__name__}")
    held.names.append(name)


def rows_locked(name: str, queryset: QuerySet, *, skip_locked: bool = False) -> QuerySet:
    """`queryset` under `SELECT … FOR UPDATE OF self`, in primary-key order unless it is ordered
    already, recorded as lock `name`. Inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("rows_locked needs a transaction")
    lock_noted(name, check=not skip_locked)
    if not queryset.ordered:
        queryset = queryset.order_by("pk")
    return queryset.select_for_update(of=("self",), skip_locked=skip_locked)
