"""The worker's task that processes again the events parked before their team was linked."""

import time

from genfans.billing.models import Plan, StripeEvent
from genfans.billing.tasks import stripe_events_reprocess_parked
from genfans.credits.selectors import credits_balance_get
from genfans.teams.models import Team
from tests.billing.conftest import invoice_object, make_event, post_event

FREE_CREDITS = 50


def _park_an_invoice(client) -> None:
    """An invoice naming a customer no team is linked to yet."""
    invoice = invoice_object(
        invoice_id="in_1", customer="cus_new", sub_id="sub_1", price_id="price_pro"
    )
    response = post_event(client, make_event("invoice.paid", invoice, created=int(time.time())))
    assert response.json()["status"] == "parked"


def test_the_task_processes_the_events_parked_for_a_linked_team(client, team, plans):
    Plan.objects.filter(code="pro").update(stripe_price_id="price_pro")
    _park_an_invoice(client)
    Team.objects.filter(pk=team.pk).update(stripe_customer_id="cus_new")

    result = stripe_events_reprocess_parked.enqueue(str(team.pk))

    assert result.return_value == 1
    assert StripeEvent.objects.get().status == "processed"
    assert credits_balance_get(team=team).available == FREE_CREDITS + plans["pro"].monthly_credits


def test_the_task_for_a_team_deleted_before_it_ran_does_nothing(client, team, plans):
    _park_an_invoice(client)
    team_id = str(team.pk)
    team.delete()

    result = stripe_events_reprocess_parked.enqueue(team_id)

    assert result.return_value == 0
    assert StripeEvent.objects.get().status == "parked"
