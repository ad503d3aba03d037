from datetime import datetime

from django.conf import settings
from ninja import Router, Schema, Status
from pydantic import Field

from genfans.api.security import api_auth
from genfans.billing import gateway
from genfans.billing.errors import BillingNotConfigured
from genfans.billing.models import Plan, StripeEventStatus
from genfans.billing.selectors import plan_effective_for_team, team_billing_get
from genfans.billing.services import (
    checkout_session_create,
    dev_checkout_enabled,
    portal_session_create,
    subscription_dev_checkout,
)
from genfans.billing.webhooks import stripe_event_process, stripe_event_receive
from genfans.core.errors import NotFound

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


def checkout_mode() -> str:
    if gateway.stripe_enabled():
        return "stripe"
    return "development" if dev_checkout_enabled() else "unavailable"


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


@router.post("/billing/checkout", response=RedirectOut, auth=api_auth)
def checkout(request, payload: CheckoutIn):
    caller = request.auth
    caller.require_owner()
    plan = Plan.objects.filter(code=payload.plan).first()
    if plan is None:
        raise NotFound("No such plan.")
    mode = checkout_mode()
    if mode == "development":
        subscription_dev_checkout(team=caller.team, user=caller.user, plan=plan)
        return {"url": f"{settings.BASE_URL}/dashboard/billing"}
    if mode != "stripe":
        raise BillingNotConfigured()
    url = checkout_session_create(
        team=caller.team,
        user=caller.user,
        plan=plan,
        success_url=f"{settings.BASE_URL}/dashboard/billing?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{settings.BASE_URL}/pricing",
    )
    return {"url": url}


@router.post("/billing/portal", response=RedirectOut, auth=api_auth)
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
