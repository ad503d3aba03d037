import pytest

from genfans.credits.models import CreditTransaction, PricingRule
from genfans.credits.seed import seed_pricing_rules
from genfans.credits.selectors import credits_balance_get
from genfans.teams.models import Action, ActivityLog
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = make_user(email="staff@example.com")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    return client, staff


def test_balances_and_transactions_are_listed_read_only(staff_client, team):
    client, _ = staff_client
    page = client.get("/admin/credits/creditbalance/")
    assert page.status_code == 200
    assert "Grant or adjust credits" in page.content.decode()
    assert client.get("/admin/credits/credittransaction/").status_code == 200
    assert client.get("/admin/credits/creditreservation/").status_code == 200
    row = CreditTransaction.objects.filter(team=team).first()
    change = client.post(f"/admin/credits/credittransaction/{row.pk}/change/", {"amount": 999})
    assert CreditTransaction.objects.get(pk=row.pk).amount == 50
    assert change.status_code in (200, 403)
    assert client.get("/admin/credits/credittransaction/add/").status_code == 403


def test_staff_adjust_credits_with_a_reason(staff_client, team):
    client, staff = staff_client
    form = client.get(f"/admin/credits/creditbalance/adjust/?team={team.pk}")
    assert form.status_code == 200
    data = {"team": team.pk, "amount": 25, "reason": "support goodwill", "token": "t-1"}
    response = client.post("/admin/credits/creditbalance/adjust/", data)
    assert response.status_code == 302
    client.post("/admin/credits/creditbalance/adjust/", data)  # a double submit
    assert credits_balance_get(team=team).available == 75
    row = CreditTransaction.objects.get(team=team, kind="adjust")
    assert (row.amount, row.reason, row.created_by) == (25, "support goodwill", staff)
    log = ActivityLog.objects.get(team=team, action=Action.CREDITS_ADJUSTED)
    assert log.user == staff and log.metadata["reason"] == "support goodwill"


def test_an_adjustment_below_zero_shows_an_error(staff_client, team):
    client, _ = staff_client
    data = {"team": team.pk, "amount": -80, "reason": "oops", "token": "t-2"}
    response = client.post("/admin/credits/creditbalance/adjust/", data)
    assert response.status_code == 200
    assert "below zero" in response.content.decode()
    assert credits_balance_get(team=team).available == 50


def test_non_staff_cannot_adjust(owner_client, team):
    response = owner_client.post(
        "/admin/credits/creditbalance/adjust/",
        {"team": team.pk, "amount": 1000, "reason": "me", "token": "x"},
    )
    assert response.status_code == 302
    assert credits_balance_get(team=team).available == 50


def test_pricing_rules_are_validated_when_edited(staff_client):
    client, _ = staff_client
    seed_pricing_rules()
    rule = PricingRule.objects.get(operation="face_swap")
    url = f"/admin/credits/pricingrule/{rule.pk}/change/"
    bad = client.post(
        url, {"operation": "face_swap", "parameters": '{"per_image": "x"}', "active": "on"}
    )
    assert bad.status_code == 200
    assert PricingRule.objects.get(pk=rule.pk).parameters["per_image"] == 5
    good = client.post(
        url, {"operation": "face_swap", "parameters": '{"per_image": 7}', "active": "on"}
    )
    assert good.status_code == 302
    assert PricingRule.objects.get(pk=rule.pk).parameters == {"per_image": 7}
