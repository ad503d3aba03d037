"""Concurrent deliveries of the same Stripe event (PostgreSQL, real threads and commits)."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from genfans.billing.models import Plan, StripeEvent
from genfans.credits.models import CreditTransaction
from genfans.credits.selectors import credits_balance_get
from tests.billing.conftest import invoice_object, make_event, post_event, subscription_object
from tests.factories import make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def deliver_concurrently(events: list[dict]) -> list[int]:
    barrier = threading.Barrier(len(events))
    statuses: list[int] = []

    def deliver(event):
        try:
            barrier.wait(timeout=5)
            statuses.append(post_event(Client(), event).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(e,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


@pytest.fixture
def linked_team(plans):
    user = make_user(email="race@example.com")
    team = user.memberships.get().team
    team.stripe_customer_id = "cus_race"
    team.save(update_fields=["stripe_customer_id"])
    Plan.objects.filter(code="pro").update(stripe_price_id="price_pro")
    return team


def test_the_same_event_delivered_in_parallel_is_stored_and_credited_once(linked_team, plans):
    invoice = invoice_object(
        invoice_id="in_race", customer="cus_race", sub_id="sub_race", price_id="price_pro"
    )
    event = make_event("invoice.paid", invoice, created=int(time.time()))

    statuses = deliver_concurrently([event] * 6)

    assert statuses == [200] * 6
    assert StripeEvent.objects.count() == 1
    assert StripeEvent.objects.get().attempts == 1
    assert CreditTransaction.objects.filter(kind="replenish").count() == 1
    assert credits_balance_get(team=linked_team).available == 50 + 1500


def test_different_events_for_one_invoice_credit_it_once(linked_team, plans):
    invoice = invoice_object(
        invoice_id="in_race2", customer="cus_race", sub_id="sub_race", price_id="price_pro"
    )

    statuses = deliver_concurrently([make_event("invoice.paid", invoice) for _ in range(6)])

    assert statuses == [200] * 6
    assert StripeEvent.objects.count() == 6
    assert CreditTransaction.objects.filter(kind="replenish").count() == 1
    assert credits_balance_get(team=linked_team).available == 50 + 1500


def test_different_events_for_one_team_in_parallel_all_apply(linked_team, plans):
    price = {"id": "price_pro", "lookup_key": "genfans_pro_monthly"}
    subscription = subscription_object(
        sub_id="sub_race", customer="cus_race", price=price, status="active"
    )
    now = int(time.time())
    events = [
        make_event("customer.subscription.created", subscription, created=now),
        make_event(
            "invoice.paid",
            invoice_object(
                invoice_id="in_a", customer="cus_race", sub_id="sub_race", price_id="price_pro"
            ),
        ),
        make_event(
            "invoice.payment_failed",
            invoice_object(
                invoice_id="in_b", customer="cus_race", sub_id="sub_race", price_id="price_pro"
            ),
        ),
        make_event("customer.subscription.trial_will_end", subscription),
    ]

    statuses = deliver_concurrently(events)

    assert statuses == [200] * 4
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed"}
    linked_team.refresh_from_db()
    assert linked_team.plan.code == "pro" and linked_team.subscription_status == "active"
    assert credits_balance_get(team=linked_team).available == 50 + 1500


def test_teams_of_one_plan_change_subscription_concurrently_without_waiting_on_the_plan(plans):
    """`subscription_apply` locks the team row only (FOR UPDATE OF the team): the plan it
    joins is shared by every team of it and must not be locked, or every webhook of every team
    on the plan queues on one row. One team's transaction stays open holding its lock; the
    other's completes within a lock_timeout (a wait on the plan row would fail it)."""
    from django.db import transaction

    from genfans.billing.services import subscription_apply
    from genfans.teams.models import SubscriptionStatus, Team

    pro = Plan.objects.get(code="pro")
    first, second = (make_user(email=f"plan-row-{i}@example.com") for i in range(2))
    teams = [user.memberships.get().team for user in (first, second)]
    Team.objects.filter(pk__in=[t.pk for t in teams]).update(plan=pro)
    teams = [Team.objects.get(pk=t.pk) for t in teams]
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_first_team_open():
        try:
            with transaction.atomic():
                subscription_apply(team=teams[0], source="test", status=SubscriptionStatus.PAST_DUE)
                holding.set()
                release.wait(timeout=30)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
            holding.set()
        finally:
            connection.close()

    thread = threading.Thread(target=hold_first_team_open)
    thread.start()
    try:
        assert holding.wait(timeout=30) and not errors, errors
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            changed = subscription_apply(
                team=teams[1], source="test", status=SubscriptionStatus.PAST_DUE
            )
        assert changed
    finally:
        release.set()
        thread.join(timeout=30)
    assert not errors, errors
    assert set(
        Team.objects.filter(pk__in=[t.pk for t in teams]).values_list(
            "subscription_status", flat=True
        )
    ) == {SubscriptionStatus.PAST_DUE}
