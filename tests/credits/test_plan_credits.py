"""Plan credits in the ledger: spent first, given back as plan credits, expired with their period;
credits that were bought or granted never expire."""

import pytest

from genfans.credits.audit import ledger_audit
from genfans.credits.models import CreditBalance, CreditReservation, CreditTransaction
from genfans.credits.selectors import credits_balance_get
from genfans.credits.services import (
    credits_adjust,
    credits_capture,
    credits_plan_end,
    credits_plan_period_start,
    credits_plan_top_up,
    credits_refund,
    credits_release,
    credits_reserve,
)
from tests.credits.factories import make_job, set_credits

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fifty_free_credits(team):
    """Every team here starts with 50 credits that never expire (the Free grant)."""
    set_credits(team, 50)


def state(team) -> tuple[int, int, int]:
    balance = credits_balance_get(team=team)
    return balance.available, balance.reserved, balance.subscription_available


def period(team, number: int, amount: int = 500) -> bool:
    return credits_plan_period_start(
        team=team,
        period=f"sub_1:{number}",
        amount=amount,
        idempotency_key=f"plan:sub_1:{number}",
        reference=f"in_{number}",
    )


def test_released_plan_credits_come_back_as_plan_credits_and_expire(team):
    """The issue's figure: 50 free + 500 plan, reserve 500, release, renew → 550, not 1,050."""
    period(team, 1)
    job = make_job(team)
    credits_reserve(team=team, job=job, amount=500)
    assert state(team) == (50, 500, 0)
    assert CreditReservation.objects.get(job=job).plan_amount == 500

    credits_release(job=job)
    assert state(team) == (550, 0, 500)

    period(team, 2)
    assert state(team) == (550, 0, 500)
    assert ledger_audit() == []


def test_a_partial_capture_spends_plan_credits_first(team):
    period(team, 1, amount=100)
    job = make_job(team)
    credits_reserve(team=team, job=job, amount=120)  # 100 plan + 20 of the free 50
    credits_capture(job=job, amount=30)
    # 30 spent from plan credits; 70 plan and 20 other come back.
    assert state(team) == (50 - 20 + 90, 0, 70)
    release = CreditTransaction.objects.get(idempotency_key=f"job:{job.pk}:release")
    assert (release.amount, release.plan_amount) == (90, 70)
    assert ledger_audit() == []


def test_plan_credits_held_across_the_end_of_their_period_expire_when_released(team):
    period(team, 1)
    job = make_job(team)
    credits_reserve(team=team, job=job, amount=520)  # 500 plan + 20 other
    period(team, 2)  # nothing unreserved to expire; 500 new plan credits
    assert state(team) == (530, 520, 500)

    credits_release(job=job)

    # The 20 other credits come back; the 500 of period 1 expire on the way.
    assert state(team) == (550, 0, 500)
    expired = CreditTransaction.objects.get(idempotency_key=f"job:{job.pk}:expire")
    assert (expired.kind, expired.amount, expired.reference) == ("expire", 500, "sub_1:1")
    assert ledger_audit() == []


def test_the_end_of_a_subscription_expires_its_plan_credits_and_later_releases(team):
    period(team, 1)
    job = make_job(team)
    credits_reserve(team=team, job=job, amount=200)

    assert credits_plan_end(team=team, idempotency_key="plan-end:evt_1", reference="sub_1") == 300
    assert state(team) == (50, 200, 0)
    assert credits_balance_get(team=team).plan_period == ""
    credits_release(job=job)
    assert state(team) == (50, 0, 0)

    assert credits_plan_end(team=team, idempotency_key="plan-end:evt_1", reference="sub_1") == 0
    assert state(team) == (50, 0, 0)
    assert ledger_audit() == []


def test_a_period_is_granted_once_per_key(team):
    assert period(team, 1)
    assert not period(team, 1)
    assert state(team) == (550, 0, 500)


def test_a_top_up_adds_to_the_current_period_only(team):
    period(team, 1)
    assert credits_plan_top_up(
        team=team, period="sub_1:1", amount=1000, idempotency_key="up:1", reference="in_up"
    )
    assert not credits_plan_top_up(
        team=team, period="sub_1:1", amount=1000, idempotency_key="up:1", reference="in_up"
    )
    assert not credits_plan_top_up(
        team=team, period="sub_1:0", amount=1000, idempotency_key="up:old", reference="in_old"
    )
    assert state(team) == (1550, 0, 1500)
    assert ledger_audit() == []


def test_a_refund_takes_only_credits_that_are_not_plan_credits(team):
    period(team, 1)
    assert credits_refund(team=team, amount=80, idempotency_key="refund:1") == 50
    assert credits_refund(team=team, amount=80, idempotency_key="refund:1") == 0
    assert state(team) == (500, 0, 500)
    assert ledger_audit() == []


def test_a_negative_adjustment_takes_other_credits_before_plan_credits(team, owner):
    period(team, 1)
    credits_adjust(team=team, amount=-70, reason="chargeback", user=owner)
    assert state(team) == (480, 0, 480)
    assert ledger_audit() == []


def test_the_audit_catches_plan_credits_the_ledger_does_not_explain(team):
    period(team, 1)
    CreditBalance.objects.filter(team=team).update(subscription_available=100)
    [problem] = ledger_audit()
    assert "plan credits are 100 but its ledger's plan part sums to 500" in problem
    CreditBalance.objects.filter(team=team).update(subscription_available=500)


def test_the_balance_says_which_credits_expire(team, owner_client):
    period(team, 1)

    body = owner_client.get("/api/credits/balance").json()
    page = owner_client.get("/dashboard/credits").text

    assert (body["available"], body["plan_credits"]) == (550, 500)
    assert "500 plan credits" in page and "50 never expire" in page
