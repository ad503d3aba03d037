"""Credit packs: one-off Stripe Checkout, the grant once per session, refunds pro rata of what is
unspent, the development purchase, the API and the pages (against the fake Stripe API)."""

import http.client
import logging
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from genfans.billing import gateway
from genfans.billing.errors import DevCheckoutDisabled, StripeUnavailable
from genfans.billing.models import CreditPack, CreditPurchase, PurchaseStatus, StripeEvent
from genfans.billing.packs import pack_dev_purchase
from genfans.billing.seed import seed_packs
from genfans.credits.models import CreditTransaction, Kind
from genfans.credits.selectors import credits_balance_get
from genfans.credits.services import credits_capture, credits_reserve
from genfans.teams.errors import NotTeamOwner
from genfans.teams.models import Action, ActivityLog
from tests.billing.conftest import make_event, post_event
from tests.credits.factories import make_job
from tests.factories import make_api_key, make_member

PACK_METADATA_KEYS = {"team_id", "pack", "kind"}


@pytest.fixture(autouse=True)
def _no_pack_prices_in_env(settings):
    settings.STRIPE_PACK_PRICES = {"small": "", "medium": "", "large": ""}


@pytest.fixture
def packs(db):
    seed_packs()
    return {pack.code: pack for pack in CreditPack.objects.all()}


@pytest.fixture
def pack_stripe(fake_stripe, packs):
    """The fake Stripe account with each pack's one-time price, as `genfans setup` makes them."""
    for pack in packs.values():
        price = fake_stripe.add_price(
            lookup_key=f"genfans_pack_{pack.code}",
            unit_amount=pack.price_cents,
            product=f"genfans_pack_{pack.code}",
            recurring=None,
        )
        CreditPack.objects.filter(pk=pack.pk).update(stripe_price_id=price["id"])
        pack.stripe_price_id = price["id"]
    return fake_stripe


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.fixture
def member_client(team):
    client = Client()
    client.force_login(make_member(team=team))
    return client


def available(team) -> int:
    return credits_balance_get(team=team).available


def pack_rows(team) -> list[tuple[str, int, str]]:
    """The team's ledger rows a pack wrote, oldest first."""
    rows = CreditTransaction.objects.filter(team=team, kind__in=[Kind.GRANT, Kind.REFUND])
    return [
        (row.kind, row.amount, row.idempotency_key)
        for row in rows.order_by("created_at", "pk")
        if row.idempotency_key.startswith(("pack:", "refund:"))
    ]


def buy(client, code: str = "small", page: str = ""):
    data = {"pack": code, **({"page": page} if page else {})}
    return client.post("/dashboard/billing/packs/checkout", data)


def bought(client, code: str = "small") -> str:
    """Start a pack's checkout; its session id."""
    response = buy(client, code)
    assert response.status_code == 302
    return response["Location"].rsplit("/", 1)[-1]


def last_event_note() -> str:
    return StripeEvent.objects.order_by("-created_at", "-pk").values_list("error", flat=True)[0]


def deliver(client, event_type: str, obj: dict, *, event_id: str = "") -> dict:
    response = post_event(client, make_event(event_type, obj, event_id=event_id))
    return response.json() | {"http": response.status_code}


def paid_pack(client, fake, code: str = "small") -> tuple[str, str]:
    """A pack bought, paid and granted by its webhook: (session id, charge id)."""
    session_id = bought(client, code)
    session = fake.complete_payment(session_id)
    assert deliver(client, "checkout.session.completed", session)["status"] == "processed"
    return session_id, fake.charge_for(session_id)["id"]


def spend(team, amount: int) -> None:
    job = make_job(team)
    credits_reserve(team=team, job=job, amount=amount)
    credits_capture(job=job, amount=amount)


def refund_event(client, fake, charge_id: str, amount: int | None = None) -> dict:
    return deliver(client, "charge.refunded", fake.refund(charge_id, amount))


# --- checkout ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "cancel"), [("", "/dashboard/billing"), ("credits", "/dashboard/credits")]
)
def test_checkout_is_a_one_off_payment_for_the_packs_price(
    owner_client, team, pack_stripe, packs, origin, cancel
):
    start = available(team)

    response = buy(owner_client, "medium", origin)

    [session] = pack_stripe.sessions.values()
    assert response.status_code == 302 and response["Location"] == session["url"]
    params = session["_params"]
    team.refresh_from_db()
    metadata = {"team_id": str(team.pk), "pack": "medium", "kind": "pack"}
    assert params["mode"] == "payment"
    assert params["line_items"] == [{"price": packs["medium"].stripe_price_id, "quantity": "1"}]
    assert params["customer"] == team.stripe_customer_id != ""
    assert params["client_reference_id"] == str(team.pk)
    assert params["metadata"] == metadata
    assert params["payment_intent_data"] == {"metadata": metadata}
    assert "subscription_data" not in params and "allow_promotion_codes" not in params
    assert params["success_url"] == f"{settings.BASE_URL}/dashboard/billing?purchase=complete"
    assert params["cancel_url"] == f"{settings.BASE_URL}{cancel}"
    assert session["amount_total"] == 4900 and session["payment_status"] == "unpaid"
    [purchase] = CreditPurchase.objects.all()
    assert (purchase.team, purchase.pack, purchase.user.email) == (
        team,
        packs["medium"],
        "owner@example.com",
    )
    assert (purchase.credits, purchase.amount_cents) == (2000, 4900)
    assert purchase.stripe_session_id == session["id"]
    assert purchase.status == PurchaseStatus.PENDING and purchase.paid_at is None
    # Nothing is bought yet.
    assert available(team) == start and pack_rows(team) == []


def test_the_price_is_found_by_its_lookup_key_or_read_from_the_environment(
    owner_client, team, pack_stripe, packs, settings
):
    price_id = packs["small"].stripe_price_id
    CreditPack.objects.filter(code="small").update(stripe_price_id="")
    buy(owner_client, "small")

    other = pack_stripe.add_price(lookup_key="elsewhere", unit_amount=1500, recurring=None)
    settings.STRIPE_PACK_PRICES = {"small": other["id"]}
    buy(owner_client, "small")

    first, second = (s["_params"]["line_items"][0]["price"] for s in pack_stripe.sessions.values())
    assert (first, second) == (price_id, other["id"])


def test_a_pack_without_a_stripe_price_is_refused_and_nothing_is_recorded(
    owner_client, team, pack_stripe, packs
):
    CreditPack.objects.filter(code="large").update(stripe_price_id="")
    for price in pack_stripe.prices.values():
        if price["lookup_key"] == "genfans_pack_large":
            price["active"] = False

    response = buy(owner_client, "large")

    assert response.status_code == 302 and response["Location"] == "/dashboard/billing"
    page = owner_client.get("/dashboard/billing")
    assert "has no Stripe price yet" in page.text
    assert pack_stripe.sessions == {} and not CreditPurchase.objects.exists()


# --- the grant ---------------------------------------------------------------------------------


def test_a_paid_session_grants_the_pack_once(owner_client, team, pack_stripe):
    start = available(team)
    session_id = bought(owner_client)
    session = pack_stripe.complete_payment(session_id)
    event = make_event("checkout.session.completed", session)

    response = post_event(owner_client, event)

    assert response.status_code == 200 and response.json()["status"] == "processed"
    assert available(team) == start + 500
    assert pack_rows(team) == [("grant", 500, f"pack:{session_id}")]
    purchase = CreditPurchase.objects.get()
    assert purchase.status == PurchaseStatus.PAID and purchase.paid_at is not None
    assert purchase.stripe_payment_intent_id == session["payment_intent"] != ""
    log = ActivityLog.objects.get(team=team, action=Action.CREDITS_REPLENISHED)
    assert log.metadata == {"reference": session_id, "granted": 500, "pack": "small"}
    assert log.user.email == "owner@example.com"

    # The same event again, and Stripe's redelivery of it under another id, change nothing.
    assert post_event(owner_client, event).status_code == 200
    again = deliver(owner_client, "checkout.session.completed", session)

    assert again["status"] == "processed"
    assert last_event_note() == "credits for this session were already granted"
    assert available(team) == start + 500 and len(pack_rows(team)) == 1
    assert StripeEvent.objects.filter(stripe_id=event["id"]).count() == 1


def test_a_payment_that_settles_later_grants_when_it_succeeds(owner_client, team, pack_stripe):
    start = available(team)
    session_id = bought(owner_client)
    unpaid = pack_stripe.complete_payment(session_id, settled=False)

    first = deliver(owner_client, "checkout.session.completed", unpaid)

    assert first["status"] == "processed"
    assert StripeEvent.objects.get().error == "awaiting payment (payment_status unpaid)"
    assert available(team) == start and pack_rows(team) == []
    assert CreditPurchase.objects.get().status == PurchaseStatus.PENDING

    paid = pack_stripe.async_payment_succeed(session_id)
    assert deliver(owner_client, "checkout.session.async_payment_succeeded", paid)["status"] == (
        "processed"
    )
    deliver(owner_client, "checkout.session.async_payment_succeeded", paid)

    assert available(team) == start + 500
    assert pack_rows(team) == [("grant", 500, f"pack:{session_id}")]
    purchase = CreditPurchase.objects.get()
    assert purchase.status == PurchaseStatus.PAID
    assert purchase.stripe_payment_intent_id == paid["payment_intent"]


@pytest.mark.parametrize("async_first", [False, True])
def test_both_events_of_a_paid_session_grant_once(owner_client, team, pack_stripe, async_first):
    start = available(team)
    session_id = bought(owner_client)
    session = pack_stripe.complete_payment(session_id)
    types = ["checkout.session.completed", "checkout.session.async_payment_succeeded"]

    for event_type in reversed(types) if async_first else types:
        assert deliver(owner_client, event_type, session)["status"] == "processed"

    assert available(team) == start + 500
    assert pack_rows(team) == [("grant", 500, f"pack:{session_id}")]


def test_a_session_checkout_did_not_record_is_still_granted(owner_client, team, pack_stripe):
    start = available(team)
    session_id = bought(owner_client, "large")
    CreditPurchase.objects.all().delete()
    session = pack_stripe.complete_payment(session_id)

    assert deliver(owner_client, "checkout.session.completed", session)["status"] == "processed"

    assert available(team) == start + 10000
    purchase = CreditPurchase.objects.get()
    assert (purchase.pack.code, purchase.credits, purchase.amount_cents) == ("large", 10000, 19900)
    assert purchase.status == PurchaseStatus.PAID and purchase.user is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"amount_total": 100}, "amount_total (100) is not the pack's price at checkout (1500)"),
        ({"metadata": {"team_id": "", "pack": "huge", "kind": "pack"}}, "no known credit pack"),
    ],
)
def test_a_session_that_does_not_match_grants_nothing_and_says_why(
    owner_client, team, pack_stripe, change, reason
):
    start = available(team)
    session_id = bought(owner_client)
    session = pack_stripe.complete_payment(session_id)
    if "metadata" in change:
        CreditPurchase.objects.all().delete()
    session |= change

    result = deliver(owner_client, "checkout.session.completed", session)

    assert result == {"received": True, "status": "failed", "http": 500}
    event = StripeEvent.objects.get()
    assert event.error.startswith("PackPurchaseInvalid:") and reason in event.error
    assert available(team) == start and pack_rows(team) == []
    assert list(CreditPurchase.objects.values_list("status", flat=True)) == (
        [] if "metadata" in change else [PurchaseStatus.PENDING]
    )


def test_payment_sessions_that_are_not_packs_are_ignored(owner_client, team, pack_stripe):
    session_id = bought(owner_client)
    session = pack_stripe.complete_payment(session_id) | {"metadata": {"team_id": str(team.pk)}}

    assert deliver(owner_client, "checkout.session.completed", session)["status"] == "ignored"
    assert StripeEvent.objects.get().error == "not a credit pack checkout"
    assert pack_rows(team) == []


# --- refunds -----------------------------------------------------------------------------------


def test_a_full_refund_takes_back_the_whole_unspent_pack(owner_client, team, pack_stripe):
    start = available(team)
    session_id, charge_id = paid_pack(owner_client, pack_stripe)

    result = refund_event(owner_client, pack_stripe, charge_id)

    assert result["status"] == "processed"
    assert available(team) == start
    assert pack_rows(team) == [
        ("grant", 500, f"pack:{session_id}"),
        ("refund", 500, f"refund:{charge_id}:1500"),
    ]
    purchase = CreditPurchase.objects.get()
    assert purchase.status == PurchaseStatus.REFUNDED and purchase.refunded_cents == 1500
    assert (purchase.credits_taken_back, purchase.credits_not_recovered) == (500, 0)
    assert not ActivityLog.objects.filter(team=team, action=Action.CREDITS_ADJUSTED).exists()


def test_a_partial_refund_takes_back_its_share(owner_client, team, pack_stripe):
    start = available(team)
    _, charge_id = paid_pack(owner_client, pack_stripe, "medium")

    refund_event(owner_client, pack_stripe, charge_id, 2450)

    assert available(team) == start + 1000
    purchase = CreditPurchase.objects.get()
    assert purchase.status == PurchaseStatus.PARTIALLY_REFUNDED
    assert (purchase.refunded_cents, purchase.credits_taken_back) == (2450, 1000)
    assert purchase.credits_not_recovered == 0


def test_a_refund_after_spending_takes_what_is_left_and_records_the_rest(
    owner_client, team, pack_stripe, caplog
):
    start = available(team)
    _, charge_id = paid_pack(owner_client, pack_stripe)
    spend(team, start + 300)

    with caplog.at_level(logging.WARNING, logger="genfans.billing.packs"):
        result = refund_event(owner_client, pack_stripe, charge_id)

    assert result["status"] == "processed"
    assert StripeEvent.objects.get(type="charge.refunded").error == (
        "300 credits were already spent and not taken back"
    )
    assert available(team) == 0
    assert pack_rows(team)[-1] == ("refund", 200, f"refund:{charge_id}:1500")
    purchase = CreditPurchase.objects.get()
    assert purchase.status == PurchaseStatus.REFUNDED
    assert (purchase.credits_taken_back, purchase.credits_not_recovered) == (200, 300)
    log = ActivityLog.objects.get(team=team, action=Action.CREDITS_ADJUSTED)
    assert log.metadata == {
        "reason": "credit pack refunded after its credits were spent",
        "pack": "small",
        "charge": charge_id,
        "refunded_cents": 1500,
        "taken_back": 200,
        "not_recovered": 300,
    }
    assert "300 credits were already spent" in caplog.text


def test_successive_partial_refunds_add_up_and_replays_change_nothing(
    owner_client, team, pack_stripe
):
    start = available(team)
    _, charge_id = paid_pack(owner_client, pack_stripe)
    first = pack_stripe.refund(charge_id, 500)
    second = pack_stripe.refund(charge_id, 500)
    third = pack_stripe.refund(charge_id, 500)

    deliver(owner_client, "charge.refunded", first, event_id="evt_refund_1")
    deliver(owner_client, "charge.refunded", second, event_id="evt_refund_2")
    # Replays, and the first refund's event redelivered late under another id.
    deliver(owner_client, "charge.refunded", first, event_id="evt_refund_1")
    deliver(owner_client, "charge.refunded", second, event_id="evt_refund_2")
    late = deliver(owner_client, "charge.refunded", first)

    assert late["status"] == "processed"
    assert last_event_note() == "this refund was already applied"
    assert available(team) == start + 500 - 333
    purchase = CreditPurchase.objects.get()
    assert purchase.status == PurchaseStatus.PARTIALLY_REFUNDED
    assert (purchase.refunded_cents, purchase.credits_taken_back) == (1000, 333)

    deliver(owner_client, "charge.refunded", third)

    refunds = [row[1:] for row in pack_rows(team) if row[0] == "refund"]
    assert refunds == [
        (166, f"refund:{charge_id}:500"),
        (167, f"refund:{charge_id}:1000"),
        (167, f"refund:{charge_id}:1500"),
    ]
    assert available(team) == start
    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.REFUNDED
    assert (purchase.credits_taken_back, purchase.credits_not_recovered) == (500, 0)


def test_a_refund_before_its_checkout_event_fails_until_the_grant_is_in(
    owner_client, team, pack_stripe
):
    start = available(team)
    session_id = bought(owner_client)
    session = pack_stripe.complete_payment(session_id)
    charge = pack_stripe.refund(pack_stripe.charge_for(session_id)["id"])

    early = deliver(owner_client, "charge.refunded", charge, event_id="evt_refund_early")

    assert early["status"] == "failed" and early["http"] == 500
    assert StripeEvent.objects.get().error.startswith("PackPurchaseUnknown:")
    assert available(team) == start and pack_rows(team) == []

    deliver(owner_client, "checkout.session.completed", session)
    redelivered = deliver(owner_client, "charge.refunded", charge, event_id="evt_refund_early")

    assert redelivered["status"] == "processed"
    assert available(team) == start
    assert [row[0] for row in pack_rows(team)] == ["grant", "refund"]


def test_refunds_of_other_charges_are_ignored(owner_client, team, pack_stripe):
    _, charge_id = paid_pack(owner_client, pack_stripe)
    charge = pack_stripe.refund(charge_id) | {"metadata": {}}

    assert deliver(owner_client, "charge.refunded", charge)["status"] == "ignored"
    assert CreditPurchase.objects.get().status == PurchaseStatus.PAID
    assert [row[0] for row in pack_rows(team)] == ["grant"]


# --- who may buy, and what --------------------------------------------------------------------


def test_members_and_api_keys_cannot_buy(member_client, team, pack_stripe):
    start = available(team)
    api_client = Client(headers={"Authorization": f"Bearer {make_api_key(team=team)}"})

    page = buy(member_client, "small")
    api = member_client.post("/api/billing/packs/small/checkout")
    by_key = api_client.post("/api/billing/packs/small/checkout")

    assert page.status_code == 403
    assert api.status_code == 403 and api.json()["error"]["code"] == "not_team_owner"
    assert by_key.status_code == 403 and by_key.json()["error"]["code"] == "not_team_owner"
    assert pack_stripe.sessions == {} and pack_stripe.customers == {}
    assert not CreditPurchase.objects.exists() and available(team) == start


@pytest.mark.parametrize("code", ["huge", "small-inactive"])
def test_an_unknown_or_inactive_pack_is_not_found(owner_client, team, pack_stripe, code):
    CreditPack.objects.filter(code="small").update(active=False)
    code = code.removesuffix("-inactive")
    start = available(team)

    page = buy(owner_client, code)
    api = owner_client.post(f"/api/billing/packs/{code}/checkout")

    assert page.status_code == 404
    assert api.status_code == 404
    assert api.json()["error"] == {"code": "pack_not_found", "message": "No such credit pack."}
    assert pack_stripe.sessions == {} and not CreditPurchase.objects.exists()
    assert available(team) == start


# --- development purchase ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "back"), [("", "/dashboard/billing"), ("credits", "/dashboard/credits")]
)
def test_the_development_checkout_buys_a_pack_at_once(
    owner_client, team, packs, debug, origin, back
):
    start = available(team)

    response = buy(owner_client, "medium", origin)

    assert response.status_code == 302 and response["Location"] == back
    assert available(team) == start + 2000
    purchase = CreditPurchase.objects.get()
    assert purchase.status == PurchaseStatus.PAID and purchase.paid_at is not None
    assert purchase.stripe_session_id.startswith("dev-")
    assert pack_rows(team) == [("grant", 2000, f"pack:{purchase.stripe_session_id}")]
    assert "2,000 credits were added" in owner_client.get(back).text


def test_the_api_development_checkout(owner_client, team, packs, debug, settings):
    start = available(team)

    response = owner_client.post("/api/billing/packs/large/checkout")

    assert response.status_code == 200
    assert response.json() == {"url": f"{settings.BASE_URL}/dashboard/billing"}
    assert available(team) == start + 10000


def test_without_debug_or_stripe_nothing_is_bought(owner_client, team, packs, settings):
    settings.DEBUG = False
    start = available(team)

    page = buy(owner_client, "small")
    api = owner_client.post("/api/billing/packs/small/checkout")

    assert page.status_code == 302
    assert "Billing is not configured" in owner_client.get("/dashboard/billing").text
    assert api.status_code == 409 and api.json()["error"]["code"] == "billing_not_configured"
    assert not CreditPurchase.objects.exists() and available(team) == start


def test_the_development_purchase_is_for_owners_without_stripe_only(
    owner, team, packs, debug, settings
):
    member = make_member(team=team)
    with pytest.raises(NotTeamOwner):
        pack_dev_purchase(team=team, user=member, pack=packs["small"])
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    with pytest.raises(DevCheckoutDisabled):
        pack_dev_purchase(team=team, user=owner, pack=packs["small"])
    assert not CreditPurchase.objects.exists() and pack_rows(team) == []


# --- API and pages -----------------------------------------------------------------------------


def test_api_lists_the_packs_and_the_teams_purchases(owner_client, team, packs, debug):
    owner_client.post("/api/billing/packs/small/checkout")
    owner_client.post("/api/billing/packs/large/checkout")

    listed = owner_client.get("/api/billing/packs").json()
    purchases = owner_client.get("/api/billing/purchases").json()

    assert listed == {
        "items": [
            {"code": "small", "name": "500 credits", "credits": 500, "price_cents": 1500},
            {"code": "medium", "name": "2,000 credits", "credits": 2000, "price_cents": 4900},
            {"code": "large", "name": "10,000 credits", "credits": 10000, "price_cents": 19900},
        ],
        "next_cursor": None,
    }
    assert [(p["pack"], p["status"], p["credits"]) for p in purchases["items"]] == [
        ("large", "paid", 10000),
        ("small", "paid", 500),
    ]
    assert purchases["next_cursor"] is None


@pytest.mark.parametrize("path", ["/dashboard/billing", "/dashboard/credits"])
def test_owners_see_the_packs_and_recent_purchases(owner_client, team, packs, debug, path):
    buy(owner_client, "small")

    page = owner_client.get(path).text

    assert "Buy credits" in page
    assert page.count('data-testid="pack"') == 3
    for label in ("500 credits for $15", "2,000 credits for $49", "10,000 credits for $199"):
        assert f'aria-label="Buy {label}">Buy</button>' in page
    assert page.count('data-testid="purchase"') == 1
    assert '<span class="badge badge-succeeded" data-testid="purchase-status">Paid</span>' in page
    assert "Only an owner can buy credits" not in page


@pytest.mark.parametrize("path", ["/dashboard/billing", "/dashboard/credits"])
def test_members_see_the_packs_without_buy_buttons(member_client, owner, team, packs, debug, path):
    pack_dev_purchase(team=team, user=owner, pack=packs["medium"])

    page = member_client.get(path).text

    assert page.count('data-testid="pack"') == 3 and "$49" in page
    assert "/dashboard/billing/packs/checkout" not in page
    assert "Only an owner can buy credits" in page
    assert page.count('data-testid="purchase"') == 1


def test_the_return_from_checkout_thanks_the_owner(owner_client, pack_stripe):
    response = owner_client.get("/dashboard/billing?purchase=complete", follow=True)

    assert "as soon as Stripe confirms the payment" in response.text


# --- the fake Stripe keeps Stripe's rules -----------------------------------------------------


def test_paying_on_the_hosted_page_completes_the_session_with_a_charge(
    owner_client, team, pack_stripe
):
    session_id = bought(owner_client)
    url = urlsplit(pack_stripe.sessions[session_id]["url"])
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
    connection.request("GET", url.path)
    answer = connection.getresponse()
    connection.close()

    assert answer.status == 303 and answer.getheader("Location").endswith("?purchase=complete")
    session = pack_stripe.session_object(session_id)
    assert (session["status"], session["payment_status"]) == ("complete", "paid")
    assert session["amount_total"] == 1500 and session["payment_intent"].startswith("pi_")
    charge = pack_stripe.charge_for(session_id)
    assert charge["object"] == "charge" and charge["payment_intent"] == session["payment_intent"]
    assert (charge["amount"], charge["amount_refunded"], charge["refunded"]) == (1500, 0, False)
    assert set(charge["metadata"]) == PACK_METADATA_KEYS and charge["currency"] == "usd"
    refunded = pack_stripe.refund(charge["id"], 1500)
    assert (refunded["amount_refunded"], refunded["refunded"]) == (1500, True)


@pytest.mark.parametrize(
    ("mode", "kind", "extra", "message"),
    [
        ("payment", "plan", {}, "passed a recurring price"),
        ("subscription", "pack", {}, "at least one recurring price"),
        ("payment", "pack", {"subscription_data": {"metadata": {"a": "b"}}}, "subscription_data"),
        (
            "subscription",
            "plan",
            {"payment_intent_data": {"metadata": {"a": "b"}}},
            "payment_intent",
        ),
    ],
)
def test_stripe_refuses_a_session_that_does_not_fit_its_mode(
    pack_stripe, plans, packs, mode, kind, extra, message
):
    price = plans["pro"].stripe_price_id if kind == "plan" else packs["small"].stripe_price_id
    params = {
        "mode": mode,
        "line_items": [{"price": price, "quantity": 1}],
        "success_url": "http://testserver/ok",
        "cancel_url": "http://testserver/no",
        **extra,
    }

    with pytest.raises(StripeUnavailable, match=message):
        gateway.checkout_session_create(params=params)
    assert pack_stripe.sessions == {}
