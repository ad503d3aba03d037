"""The shape of the Stripe events we read, checked before anything is processed.

A signed event is Stripe's word, but its JSON can still be something our handlers cannot read
(a test payload, a proxy that rewrote it, an API version we do not know). Each model lists only
the fields the handlers read, with Stripe's types (https://docs.stripe.com/api/events/object,
/api/checkout/sessions/object, /api/subscriptions/object, /api/invoices/object,
/api/charges/object; read 2026-12-01); anything else passes through. An event that does not
fit is stored as `malformed` with the reason, and nothing is granted from it.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr
from pydantic import ValidationError as PydanticValidationError


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Ref(_Loose):
    """An expanded object in place of its id."""

    id: StrictStr


Ref = StrictStr | _Ref | None
Metadata = dict[StrictStr, StrictStr] | None


class _Price(_Loose):
    id: StrictStr
    lookup_key: StrictStr | None = None


class _SubscriptionItem(_Loose):
    price: StrictStr | _Price | None = None
    current_period_start: StrictInt | None = None
    current_period_end: StrictInt | None = None


class _List[T](_Loose):
    data: list[T] = Field(default_factory=list)


class Subscription(_Loose):
    id: StrictStr
    customer: Ref = None
    status: StrictStr = ""
    metadata: Metadata = None
    trial_end: StrictInt | None = None
    cancel_at: StrictInt | None = None
    cancel_at_period_end: StrictBool | None = None
    current_period_start: StrictInt | None = None
    current_period_end: StrictInt | None = None
    items: _List[_SubscriptionItem] | None = None


class _Period(_Loose):
    start: StrictInt
    end: StrictInt


class _PriceDetails(_Loose):
    price: StrictStr | _Price | None = None


class _Pricing(_Loose):
    price_details: _PriceDetails | None = None


class _InvoiceLine(_Loose):
    amount: StrictInt | None = None
    price: StrictStr | _Price | None = None
    pricing: _Pricing | None = None
    period: _Period


class _SubscriptionDetails(_Loose):
    subscription: Ref = None
    metadata: Metadata = None


class _Parent(_Loose):
    subscription_details: _SubscriptionDetails | None = None


class Invoice(_Loose):
    id: StrictStr
    customer: Ref = None
    billing_reason: StrictStr | None = None
    amount_paid: StrictInt | None = None
    parent: _Parent | None = None
    subscription: Ref = None
    subscription_details: _SubscriptionDetails | None = None
    lines: _List[_InvoiceLine] | None = None


class CheckoutSession(_Loose):
    id: StrictStr
    mode: StrictStr | None = None
    status: StrictStr | None = None
    payment_status: StrictStr | None = None
    customer: Ref = None
    subscription: Ref = None
    payment_intent: Ref = None
    client_reference_id: StrictStr | None = None
    amount_total: StrictInt | None = None
    metadata: Metadata = None


class Charge(_Loose):
    id: StrictStr
    amount: StrictInt
    amount_refunded: StrictInt
    payment_intent: Ref = None
    customer: Ref = None
    metadata: Metadata = None


class _EventData(_Loose):
    object: dict[StrictStr, Any]


class Event(_Loose):
    id: StrictStr = Field(min_length=1, max_length=255)
    type: StrictStr = Field(min_length=1, max_length=100)
    created: StrictInt
    livemode: StrictBool = False
    data: _EventData


OBJECT_SCHEMAS: dict[str, type[BaseModel]] = {
    "checkout.session.": CheckoutSession,
    "customer.subscription.": Subscription,
    "invoice.": Invoice,
    "charge.": Charge,
}


def _reason(error: PydanticValidationError, prefix: str) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in (prefix, *first["loc"]) if part != "")
    return f"{where}: {first['msg']}"


def event_problem(data: Any) -> str:
    """Why `data` is not an event we can read ("" when it is)."""
    if not isinstance(data, dict):
        return "the payload is not a JSON object"
    try:
        event = Event.model_validate(data)
    except PydanticValidationError as error:
        return _reason(error, "")
    for prefix, schema in OBJECT_SCHEMAS.items():
        if event.type.startswith(prefix):
            try:
                schema.model_validate(event.data.object)
            except PydanticValidationError as error:
                return _reason(error, "data.object")
    return ""
