from datetime import datetime

from django.conf import settings
from ninja import Query, Router, Schema, Status
from pydantic import Field

from genfans.api.openapi import errors
from genfans.api.security import api_auth
from genfans.api.teams import PageQuery
from genfans.billing import gateway
from genfans.billing.checkout import (
    pack_checkout_start,
    portal_session_create,
    subscription_checkout_start,
)
from genfans.billing.errors import BillingNotConfigured
from genfans.billing.models import StripeEventStatus
from genfans.billing.packs import credit_purchase_list_for_team, pack_get_active, pack_list_active
from genfans.billing.selectors import checkout_mode, plan_effective_for_team, team_billing_get
from genfans.billing.webhooks import stripe_event_process, stripe_event_receive
from genfans.core.pagination import paginate, paginate_by

router = Router(tags=["billing"])


class WebhookOut(Schema):
    received: bool
    status: str


class SubscriptionOut(Schema):
    plan: str
    plan_name: str
    effective_plan: str
    status: str
    trial_ends_at: datetime | None
    current_period_end: datetime | None
    monthly_credits: int
    payment_failed: bool
    can_manage: bool
    checkout: str


class CheckoutIn(Schema):
    plan: str = Field(max_length=32)


class RedirectOut(Schema):
    url: str


class PackOut(Schema):
    code: str
    name: str
    credits: int = Field(description="credits that never expire")
    price_cents: int = Field(description="in USD")


class PackPage(Schema):
    items: list[PackOut]
    next_cursor: str | None


class PurchaseOut(Schema):
    id: str
    pack: str
    credits: int
    amount_cents: int
    status: str = Field(description="pending, paid, refunded, partially_refunded")
    paid_at: datetime | None
    refunded_cents: int
    credits_taken_back: int
    credits_not_recovered: int = Field(description="refunded credits that were already spent")
    created_at: datetime


class PurchasePage(Schema):
    items: list[PurchaseOut]
    next_cursor: str | None


def purchase_out(purchase) -> dict:
    return {
        "id": str(purchase.id),
        "pack": purchase.pack.code,
        "credits": purchase.credits,
        "amount_cents": purchase.amount_cents,
        "status": purchase.status,
        "paid_at": purchase.paid_at,
        "refunded_cents": purchase.refunded_cents,
        "credits_taken_back": purchase.credits_taken_back,
        "credits_not_recovered": purchase.credits_not_recovered,
        "created_at": purchase.created_at,
    }


@router.post(
    "/stripe/webhook",
    auth=None,
    response={200: WebhookOut, 500: WebhookOut},
    summary="Stripe webhook (signed with STRIPE_WEBHOOK_SECRET)",
)
def stripe_webhook(request):
    event, _ = stripe_event_receive(
        payload=request.body, signature=request.headers.get("Stripe-Signature")
    )
    event = stripe_event_process(event_id=event.pk)
    # A failed event is stored; answering 5xx makes Stripe deliver it again, and the
    # redelivery processes the stored row.
    status = 500 if event.status == StripeEventStatus.FAILED else 200
    return Status(status, {"received": True, "status": event.status})


@router.get("/billing", response=SubscriptionOut, auth=api_auth)
def subscription_get(request):
    caller = request.auth
    team = caller.team
    billing = team_billing_get(team=team)
    return {
        "plan": team.plan.code,
        "plan_name": team.plan.name,
        "effective_plan": plan_effective_for_team(team=team).code,
        "status": team.subscription_status,
        "trial_ends_at": team.trial_ends_at,
        "current_period_end": team.current_period_end,
        "monthly_credits": team.plan.monthly_credits,
        "payment_failed": bool(billing and billing.payment_failed_at),
        "can_manage": caller.is_owner,
        "checkout": checkout_mode(),
    }


@router.post("/billing/checkout", response=RedirectOut, auth=api_auth, openapi_extra=errors(502))
def checkout(request, payload: CheckoutIn):
    """A URL to send the owner to: Stripe Checkout, the customer portal when the team is
    already subscribed, or (development checkout, applied at once) the Billing page."""
    caller = request.auth
    caller.require_owner()
    url = subscription_checkout_start(
        team=caller.team,
        user=caller.user,
        plan_code=payload.plan,
        success_url=f"{settings.BASE_URL}/dashboard/billing?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{settings.BASE_URL}/pricing",
        portal_return_url=f"{settings.BASE_URL}/dashboard/billing",
    )
    return {"url": url or f"{settings.BASE_URL}/dashboard/billing"}


@router.post("/billing/portal", response=RedirectOut, auth=api_auth, openapi_extra=errors(502))
def portal(request):
    caller = request.auth
    caller.require_owner()
    if not gateway.stripe_enabled():
        raise BillingNotConfigured()
    return {
        "url": portal_session_create(
            team=caller.team, return_url=f"{settings.BASE_URL}/dashboard/billing"
        )
    }


@router.get("/billing/packs", response=PackPage, auth=api_auth)
def pack_list(request, query: Query[PageQuery]):
    """The credit packs on sale: credits that never expire, bought once."""
    page = paginate_by(
        pack_list_active(), field="sort_order", limit=query.limit, cursor=query.cursor
    )
    return {
        "items": [
            {"code": p.code, "name": p.name, "credits": p.credits, "price_cents": p.price_cents}
            for p in page.items
        ],
        "next_cursor": page.next_cursor,
    }


@router.post(
    "/billing/packs/{code}/checkout", response=RedirectOut, auth=api_auth, openapi_extra=errors(502)
)
def pack_checkout(request, code: str):
    """Buy a pack (owners): a Stripe Checkout URL, or with the development checkout the credits
    at once and the Billing page's URL."""
    caller = request.auth
    caller.require_owner()
    url = pack_checkout_start(
        team=caller.team,
        user=caller.user,
        pack=pack_get_active(code=code),
        success_url=f"{settings.BASE_URL}/dashboard/billing?purchase=complete",
        cancel_url=f"{settings.BASE_URL}/dashboard/billing",
    )
    return {"url": url or f"{settings.BASE_URL}/dashboard/billing"}


@router.get("/billing/purchases", response=PurchasePage, auth=api_auth)
def purchase_list(request, query: Query[PageQuery]):
    """The team's credit pack purchases, newest first."""
    purchases = credit_purchase_list_for_team(team=request.auth.team)
    page = paginate(purchases, limit=query.limit, cursor=query.cursor)
    return {"items": [purchase_out(p) for p in page.items], "next_cursor": page.next_cursor}
