"""Real threads against PostgreSQL: the ledger stays exact under contention."""

import random
import threading
from collections import Counter

import pytest
from django.db import close_old_connections, connection, transaction

from genfans.credits.audit import ledger_audit
from genfans.credits.errors import InsufficientCredits
from genfans.credits.models import CreditReservation, CreditTransaction, Kind, ReservationStatus
from genfans.credits.selectors import credits_balance_get
from genfans.credits.services import (
    credits_capture,
    credits_grant,
    credits_release,
    credits_reserve,
)
from tests.credits.factories import give_credits, make_job
from tests.factories import make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_threads(target, args_list) -> list:
    """Run `target(*args)` in one thread per args, all released at once; returns the results
    (or the exceptions raised) in order."""
    barrier = threading.Barrier(len(args_list))
    results: list = [None] * len(args_list)

    def worker(i, args):
        try:
            barrier.wait()
            results[i] = target(*args)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    close_old_connections()
    return results


def team_with(amount: int):
    team = make_user().memberships.get().team  # 50 at sign-up
    give_credits(team, amount - 50)
    return team


def assert_never_negative(team):
    rows = CreditTransaction.objects.filter(team=team)
    assert not rows.filter(available_after__lt=0).exists()
    assert not rows.filter(reserved_after__lt=0).exists()


def test_fifty_threads_reserving_ten_against_two_hundred():
    team = team_with(200)
    jobs = [make_job(team) for _ in range(50)]

    def reserve(job):
        with transaction.atomic():
            credits_reserve(team=team, job=job, amount=10)
        return "ok"

    results = run_threads(reserve, [(job,) for job in jobs])
    outcomes = Counter(r if r == "ok" else type(r).__name__ for r in results)
    assert outcomes == {"ok": 20, "InsufficientCredits": 30}
    assert all(
        r.details["needed"] == 10 and r.details["available"] < 10
        for r in results
        if isinstance(r, InsufficientCredits)
    )
    balance = credits_balance_get(team=team)
    assert (balance.available, balance.reserved) == (0, 200)
    assert CreditReservation.objects.filter(team=team).count() == 20
    assert CreditTransaction.objects.filter(team=team, kind=Kind.RESERVE).count() == 20
    assert_never_negative(team)
    assert ledger_audit() == []


def test_mixed_reserve_capture_release_storm():
    team = team_with(300)
    jobs = [make_job(team) for _ in range(40)]
    rng = random.Random(7)
    plans = [(job, rng.randint(1, 20), rng.choice(["capture", "release"])) for job in jobs]

    def lifecycle(job, amount, ending):
        with transaction.atomic():
            credits_reserve(team=team, job=job, amount=amount)
        # Two deliveries of the ending (a duplicate webhook, a second worker) race each other.
        with transaction.atomic():
            if ending == "capture":
                return credits_capture(job=job, amount=amount // 2)
            return credits_release(job=job)

    tasks = [(job, amount, ending) for job, amount, ending in plans]
    results = run_threads(lifecycle, tasks + tasks)
    # Each job resolved exactly once: of its two deliveries one did the work, one found nothing.
    for i, (_job, amount, ending) in enumerate(plans):
        first, second = results[i], results[i + len(plans)]
        assert not isinstance(first, Exception) and not isinstance(second, Exception)
        expected = amount // 2 if ending == "capture" else amount
        assert sorted([first, second]) == sorted([0, expected]) or expected == 0

    charged = sum(amount // 2 for _job, amount, ending in plans if ending == "capture")
    balance = credits_balance_get(team=team)
    assert (balance.available, balance.reserved) == (300 - charged, 0)
    assert not CreditReservation.objects.filter(status=ReservationStatus.PENDING).exists()
    assert CreditTransaction.objects.filter(team=team, kind=Kind.RESERVE).count() == 40
    assert_never_negative(team)
    assert ledger_audit() == []


def test_storm_across_teams_with_interleaved_grants():
    teams = [team_with(100) for _ in range(3)]
    work = []
    for team in teams:
        for _ in range(8):
            work.append(("reserve", team, make_job(team)))
        work.append(("grant", team, None))

    def step(kind, team, job):
        if kind == "grant":
            return credits_grant(team=team, amount=25, idempotency_key=f"promo:{team.pk}")
        with transaction.atomic():
            credits_reserve(team=team, job=job, amount=15)
        with transaction.atomic():
            return credits_capture(job=job, amount=10)

    results = run_threads(step, work)
    assert not [
        r for r in results if isinstance(r, Exception) and not isinstance(r, InsufficientCredits)
    ]
    for team in teams:
        balance = credits_balance_get(team=team)
        captured = CreditTransaction.objects.filter(team=team, kind=Kind.CAPTURE).count()
        assert balance.reserved == 0
        assert balance.available == 125 - 10 * captured
        assert_never_negative(team)
    assert ledger_audit() == []


def test_a_replayed_idempotency_key_counts_once():
    team = team_with(100)
    job = make_job(team)

    def grant():
        return credits_grant(team=team, amount=40, idempotency_key="invoice-credit:1")

    def reserve():
        with transaction.atomic():
            credits_reserve(team=team, job=job, amount=30)
        return True

    grants = run_threads(grant, [()] * 15)
    assert Counter(grants) == {True: 1, False: 14}
    reserves = run_threads(reserve, [()] * 15)
    assert reserves == [True] * 15
    captures = run_threads(lambda: credits_capture(job=job, amount=30), [()] * 15)
    assert sorted(captures) == [0] * 14 + [30]

    balance = credits_balance_get(team=team)
    assert (balance.available, balance.reserved) == (110, 0)
    assert (
        CreditTransaction.objects.filter(team=team).count() == 5
    )  # 2 grants, +1, reserve, capture
    assert ledger_audit() == []


def test_capture_racing_release_resolves_each_job_once():
    team = team_with(400)
    jobs = [make_job(team) for _ in range(20)]
    for job in jobs:
        with transaction.atomic():
            credits_reserve(team=team, job=job, amount=20)

    def finish(job, how):
        with transaction.atomic():
            if how == "capture":
                return ("capture", credits_capture(job=job, amount=15))
            return ("release", credits_release(job=job))

    results = run_threads(finish, [(j, "capture") for j in jobs] + [(j, "release") for j in jobs])
    charged = 0
    for i, job in enumerate(jobs):
        capture, release = results[i], results[i + len(jobs)]
        reservation = CreditReservation.objects.get(job=job)
        if reservation.status == ReservationStatus.CAPTURED:
            assert (capture, release) == (("capture", 15), ("release", 0))
            charged += 15
        else:
            assert (capture, release) == (("capture", 0), ("release", 20))
    balance = credits_balance_get(team=team)
    assert (balance.available, balance.reserved) == (400 - charged, 0)
    assert ledger_audit() == []
