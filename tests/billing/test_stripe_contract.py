"""The fake Stripe API refuses what Stripe's published contract refuses, as Stripe does, and
every call the gateway makes is within that contract."""

import re

import pytest
import stripe

from genfans.billing import gateway
from tests.billing.stripe_contract import CONTRACT


@pytest.fixture
def client(fake_stripe):
    return stripe.StripeClient(
        "sk_test_fake", base_addresses={"api": fake_stripe.base}, max_network_retries=0
    )


def refused(fake_stripe, call) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        call()
    assert len(fake_stripe.contract_refusals) == 1
    fake_stripe.contract_refusals.clear()
    return raised.value


def test_the_contract_names_its_source_version_and_date():
    assert CONTRACT["source"].startswith("https://github.com/stripe/openapi/")
    assert CONTRACT["api_version"] == stripe.api_version
    assert CONTRACT["taken"] == "2026-12-02"


def test_an_unknown_parameter_is_refused_with_stripes_error(fake_stripe, client):
    error = refused(
        fake_stripe, lambda: client.v1.customers.create(params={"emial": "a@example.com"})
    )

    assert error.http_status == 400
    assert error.code == "parameter_unknown"
    assert error.param == "emial"
    assert error.user_message == "Received unknown parameter: emial"
    assert error.error.type == "invalid_request_error"
    assert fake_stripe.customers == {}


def test_an_unknown_nested_parameter_is_named_by_its_full_path(fake_stripe, client, plans):
    params = {
        "mode": "subscription",
        "line_items": [{"price": plans["starter"].stripe_price_id, "quantity": 1, "qty": 1}],
        "success_url": "https://genfans.test/ok",
    }
    error = refused(fake_stripe, lambda: client.v1.checkout.sessions.create(params=params))

    assert (error.code, error.param) == ("parameter_unknown", "line_items[0][qty]")
    assert fake_stripe.sessions == {}


def test_a_missing_required_parameter_is_refused_with_stripes_error(fake_stripe, client):
    params = {"url": "https://genfans.test/api/stripe/webhook"}
    error = refused(fake_stripe, lambda: client.v1.webhook_endpoints.create(params=params))

    assert error.http_status == 400
    assert error.code == "parameter_missing"
    assert error.param == "enabled_events"
    assert error.user_message == "Missing required param: enabled_events."
    assert fake_stripe.webhook_endpoints == {}


def test_a_missing_required_nested_parameter_is_named_by_its_full_path(fake_stripe, client):
    params = {"features": {"subscription_cancel": {"mode": "at_period_end"}}}
    error = refused(
        fake_stripe, lambda: client.v1.billing_portal.configurations.create(params=params)
    )

    assert (error.code, error.param) == (
        "parameter_missing",
        "features[subscription_cancel][enabled]",
    )
    assert fake_stripe.portal_configurations == {}


def test_a_value_outside_an_enum_is_refused_as_stripe_words_it(fake_stripe, client, plans):
    params = {
        "mode": "subscriptions",
        "line_items": [{"price": plans["starter"].stripe_price_id, "quantity": 1}],
    }
    error = refused(fake_stripe, lambda: client.v1.checkout.sessions.create(params=params))

    assert error.http_status == 400
    assert error.param == "mode"
    assert error.user_message == "Invalid mode: must be one of payment, setup, or subscription"
    assert fake_stripe.sessions == {}


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        ({"unit_amount": "12.5"}, "unit_amount", "Invalid integer: 12.5"),
        ({"transfer_lookup_key": "yes"}, "transfer_lookup_key", "Invalid boolean: yes"),
        ({"metadata": "plan"}, "metadata", "Invalid object"),
        (
            {"recurring": {"interval": "fortnight"}},
            "recurring[interval]",
            "Invalid recurring[interval]: must be one of day, month, week, or year",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(fake_stripe, client, params, param, message):
    before = dict(fake_stripe.prices)
    error = refused(
        fake_stripe, lambda: client.v1.prices.create(params={"currency": "usd", **params})
    )

    assert error.param == param
    assert error.user_message == message
    assert fake_stripe.prices == before


def test_an_unknown_url_is_a_404_unrecognized_request(fake_stripe, client):
    error = refused(fake_stripe, lambda: client.raw_request("post", "/v1/refundz", amount=100))

    assert error.http_status == 404
    assert error.user_message.startswith("Unrecognized request URL (POST: /v1/refundz).")


def test_every_endpoint_in_the_contract_is_one_the_gateway_calls_and_it_accepts_them(
    fake_stripe, plans
):
    customer = gateway.customer_create(email="owner@example.com", name="Team", team_id="t1")
    price_id = plans["starter"].stripe_price_id
    session = gateway.checkout_session_create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price_id, "quantity": 1}],
            "customer": customer,
            "client_reference_id": "t1",
            "metadata": {"team_id": "t1", "plan": "starter"},
            "subscription_data": {"metadata": {"team_id": "t1"}, "trial_period_days": 14},
            "allow_promotion_codes": True,
            "success_url": "https://genfans.test/ok?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://genfans.test/cancel",
        }
    )
    subscription = fake_stripe.complete_checkout(session["id"])
    gateway.checkout_session_retrieve(session_id=session["id"])
    gateway.subscription_retrieve(subscription_id=subscription["id"])
    assert gateway.price_find_by_lookup_key(lookup_key="genfans_starter_monthly")["id"] == price_id
    product = gateway.price_retrieve(price_id=price_id)["product"]
    products = [{"product": product, "prices": [price_id]}]
    configuration = gateway.portal_configuration_ensure(products=products)
    fake_stripe.portal_configurations[configuration]["features"]["subscription_update"] = {}
    assert gateway.portal_configuration_ensure(products=products) == configuration
    gateway.portal_session_create(
        customer_id=customer, return_url="https://genfans.test/billing", configuration=configuration
    )
    gateway.plan_price_ensure(
        api_key="sk_test_fake", code="max", name="Max", unit_amount=9900, lookup_key="genfans_max"
    )
    gateway.pack_price_ensure(
        api_key="sk_test_fake", code="s", name="Small", unit_amount=500, lookup_key="genfans_s"
    )
    gateway.webhook_endpoint_ensure(
        api_key="sk_test_fake",
        url="https://genfans.test/api/stripe/webhook",
        events=["checkout.session.completed", "invoice.paid"],
    )

    called = {(method, path) for method, path, _ in fake_stripe.requests}
    routes = {}
    for key in CONTRACT["endpoints"]:
        method, template = key.split(" ", 1)
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        routes[key] = [p for m, p in called if m == method and re.match(pattern, p)]
    # Only the fake's own lookups (customer retrieve) may go unused by the gateway.
    assert [key for key, hits in routes.items() if not hits] == ["GET /v1/customers/{customer}"]
    assert fake_stripe.contract_refusals == []
