"""Staff cannot change what only the billing services write (the event inbox, a team's
billing row), nor rename a plan the code looks up by its code."""

import pytest

from genfans.billing.models import Plan, StripeEvent, TeamBilling
from genfans.billing.seed import seed_plans

pytestmark = pytest.mark.django_db


def test_an_inbox_event_cannot_be_deleted_so_a_redelivery_stays_a_replay(staff_client):
    event = StripeEvent.objects.create(stripe_id="evt_1", type="invoice.paid", payload={})

    page = staff_client.get(f"/admin/billing/stripeevent/{event.pk}/delete/")
    bulk = staff_client.post(
        "/admin/billing/stripeevent/",
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )

    assert page.status_code == 403
    assert bulk.status_code in (200, 302)
    assert StripeEvent.objects.filter(pk=event.pk).exists()


def test_a_teams_billing_row_is_read_only(staff_client, team):
    billing = TeamBilling.objects.create(team=team, ended_subscription_id="sub_1")

    response = staff_client.post(
        f"/admin/billing/teambilling/{billing.pk}/change/",
        {"team": team.pk, "ended_subscription_id": "", "payment_failed_invoice_id": "in_x"},
    )

    billing.refresh_from_db()
    assert response.status_code in (200, 302, 403)
    assert billing.ended_subscription_id == "sub_1"
    assert billing.payment_failed_invoice_id == ""


def test_a_plans_code_is_fixed_once_it_exists_and_plans_are_not_deleted(staff_client):
    seed_plans()
    free = Plan.objects.get(code="free")
    form = staff_client.get(f"/admin/billing/plan/{free.pk}/change/")

    assert form.status_code == 200
    assert 'name="code"' not in form.content.decode()
    assert 'name="monthly_credits"' in form.content.decode()
    assert staff_client.get(f"/admin/billing/plan/{free.pk}/delete/").status_code == 403
