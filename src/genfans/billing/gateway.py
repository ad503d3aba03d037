"""The only module that talks to Stripe's HTTP API (through the official SDK).

Every call has an explicit timeout and a bounded number of network retries; Stripe
errors become `StripeUnavailable`, so callers deal with one domain error.
"""

import json
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

import stripe
from django.conf import settings

from genfans.billing.errors import BillingNotConfigured, StripeUnavailable

CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 20
MAX_NETWORK_RETRIES = 2
# How far a webhook signature's timestamp may be from now, either way.
SIGNATURE_TOLERANCE_S = 300


def stripe_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def stripe_client(api_key: str | None = None) -> stripe.StripeClient:
    key = api_key or settings.STRIPE_SECRET_KEY
    if not key:
        raise BillingNotConfigured()
    base_addresses = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        key,
        base_addresses=base_addresses,
        max_network_retries=MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S)),
    )


def translate_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except stripe.StripeError as exc:
            message = getattr(exc, "user_message", None) or str(exc) or None
            raise StripeUnavailable(message) from exc

    return wrapper


def as_dict(obj: Any) -> dict:
    """A plain dict of an SDK object (handlers and the inbox work on plain JSON)."""
    if obj is None:
        return {}
    if isinstance(obj, dict) and not isinstance(obj, stripe.StripeObject):
        return obj
    return obj.to_dict()


@translate_errors
def customer_create(*, email: str, name: str, team_id: str) -> str:
    customer = stripe_client().v1.customers.create(
        params={"email": email, "name": name, "metadata": {"team_id": team_id}}
    )
    return customer.id


@translate_errors
def checkout_session_create(*, params: dict) -> dict:
    return as_dict(stripe_client().v1.checkout.sessions.create(params=params))


@translate_errors
def checkout_session_retrieve(*, session_id: str) -> dict:
    session = stripe_client().v1.checkout.sessions.retrieve(
        session_id, params={"expand": ["subscription", "subscription.latest_invoice"]}
    )
    return as_dict(session)


@translate_errors
def subscription_retrieve(*, subscription_id: str) -> dict:
    return as_dict(stripe_client().v1.subscriptions.retrieve(subscription_id))


@translate_errors
def price_find_by_lookup_key(*, lookup_key: str, api_key: str | None = None) -> dict | None:
    prices = stripe_client(api_key).v1.prices.list(
        params={"lookup_keys": [lookup_key], "active": True, "limit": 1}
    )
    return as_dict(prices.data[0]) if prices.data else None


@translate_errors
def price_retrieve(*, price_id: str) -> dict:
    return as_dict(stripe_client().v1.prices.retrieve(price_id))


@translate_errors
def portal_configuration_ensure(*, products: list[dict]) -> str:
    """Our portal configuration, created the first time and brought up to date.

    Ours rather than the account's default, because plan changes must be invoiced at once
    (`always_invoice`): an upgrade's extra credits are granted on that paid invoice."""
    client = stripe_client()
    features: dict[str, Any] = {
        "customer_update": {"enabled": True, "allowed_updates": ["email", "address", "name"]},
        "invoice_history": {"enabled": True},
        "payment_method_update": {"enabled": True},
        "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
    }
    if products:
        features["subscription_update"] = {
            "enabled": True,
            "default_allowed_updates": ["price"],
            "proration_behavior": "always_invoice",
            "products": products,
        }
    listed = client.v1.billing_portal.configurations.list(params={"active": True, "limit": 100})
    for configuration in (as_dict(c) for c in listed.data):
        if (configuration.get("metadata") or {}).get("genfans") != "1":
            continue
        update = (configuration.get("features") or {}).get("subscription_update") or {}
        if products and update.get("proration_behavior") != "always_invoice":
            client.v1.billing_portal.configurations.update(
                configuration["id"], params={"features": features}
            )
        return configuration["id"]
    created = client.v1.billing_portal.configurations.create(
        params={
            "business_profile": {"headline": "GenFans: manage your subscription"},
            "features": features,
            "metadata": {"genfans": "1"},
        }
    )
    return created.id


@translate_errors
def portal_session_create(*, customer_id: str, return_url: str, configuration: str) -> str:
    params = {"customer": customer_id, "return_url": return_url, "configuration": configuration}
    return stripe_client().v1.billing_portal.sessions.create(params=params).url


def event_verify(*, payload: bytes, signature: str | None, secret: str) -> Any:
    """Check the `Stripe-Signature` header (HMAC and timestamp tolerance); the payload as JSON.

    The SDK bounds only the past: a signature dated later than the tolerance is refused here,
    so a captured header cannot be made to last by dating it ahead."""
    stripe.WebhookSignature.verify_header(
        payload.decode("utf-8"), signature or "", secret, tolerance=SIGNATURE_TOLERANCE_S
    )
    signed_at = [
        int(value)
        for key, _, value in (part.partition("=") for part in (signature or "").split(","))
        if key.strip() == "t" and value.strip().isdigit()
    ]
    if not signed_at or max(signed_at) > time.time() + SIGNATURE_TOLERANCE_S:
        raise stripe.SignatureVerificationError("The signature is dated in the future.", signature)
    return json.loads(payload)


def _price_ensure(
    *,
    api_key: str,
    product_id: str,
    product_name: str,
    unit_amount: int,
    lookup_key: str,
    recurring: dict | None,
    metadata: dict[str, str],
) -> tuple[str, bool]:
    """A USD price of `product_id` (created with the product when missing), found by lookup key,
    created when missing or when its amount or kind changed; (price id, whether it was created)."""
    client = stripe_client(api_key)
    try:
        client.v1.products.retrieve(product_id)
    except stripe.InvalidRequestError as exc:
        if getattr(exc, "code", None) != "resource_missing":
            raise
        client.v1.products.create(
            params={"id": product_id, "name": product_name, "metadata": metadata}
        )
    kind = "recurring" if recurring else "one_time"
    listed = client.v1.prices.list(params={"lookup_keys": [lookup_key], "active": True})
    for price in (as_dict(p) for p in listed.data):
        if (
            price.get("unit_amount") == unit_amount
            and price.get("product") == product_id
            and price.get("type") == kind
        ):
            return price["id"], False
    params: dict[str, Any] = {
        "product": product_id,
        "currency": "usd",
        "unit_amount": unit_amount,
        "lookup_key": lookup_key,
        # A changed amount gets a new price; the lookup key moves to it.
        "transfer_lookup_key": True,
        "metadata": metadata,
    }
    if recurring:
        params["recurring"] = recurring
    return client.v1.prices.create(params=params).id, True


@translate_errors
def plan_price_ensure(
    *, api_key: str, code: str, name: str, unit_amount: int, lookup_key: str
) -> tuple[str, bool]:
    """The plan's monthly USD price (product `genfans_<code>`); (price id, whether created)."""
    return _price_ensure(
        api_key=api_key,
        product_id=f"genfans_{code}",
        product_name=f"GenFans {name}",
        unit_amount=unit_amount,
        lookup_key=lookup_key,
        recurring={"interval": "month"},
        metadata={"plan": code},
    )


@translate_errors
def pack_price_ensure(
    *, api_key: str, code: str, name: str, unit_amount: int, lookup_key: str
) -> tuple[str, bool]:
    """A credit pack's one-time USD price (product `genfans_pack_<code>`); (price id, whether
    created)."""
    return _price_ensure(
        api_key=api_key,
        product_id=f"genfans_pack_{code}",
        product_name=f"GenFans {name}",
        unit_amount=unit_amount,
        lookup_key=lookup_key,
        recurring=None,
        metadata={"pack": code},
    )


@translate_errors
def webhook_endpoint_ensure(*, api_key: str, url: str, events: list[str]) -> tuple[str, bool]:
    """A Stripe webhook endpoint for `url`; (its signing secret, whether it was created).

    Stripe shows an endpoint's secret only when it is created, so for an existing endpoint
    the secret is "" (copy it from the dashboard)."""
    client = stripe_client(api_key)
    for endpoint in client.v1.webhook_endpoints.list(params={"limit": 100}).data:
        if as_dict(endpoint).get("url") == url:
            return "", False
    created = client.v1.webhook_endpoints.create(
        params={"url": url, "enabled_events": events, "description": "GenFans"}
    )
    return as_dict(created).get("secret") or "", True
