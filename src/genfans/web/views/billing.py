from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from genfans.billing import gateway
from genfans.billing.checkout import (
    checkout_session_sync,
    pack_checkout_start,
    portal_session_create,
    subscription_checkout_start,
)
from genfans.billing.entitlements import plan_feature_rows, trial_available
from genfans.billing.errors import BillingNotConfigured, PackNotFound, PlanNotFound
from genfans.billing.models import PurchaseStatus
from genfans.billing.packs import credit_purchase_list_for_team, pack_get_active, pack_list_active
from genfans.billing.selectors import (
    checkout_mode,
    plan_effective_for_team,
    plan_list,
    plan_list_paid,
    subscription_is_live,
    team_billing_get,
)
from genfans.core.errors import DomainError
from genfans.credits.selectors import credits_balance_get
from genfans.teams.models import SubscriptionStatus
from genfans.web.decorators import owner_required, team_required

PAYMENT_PROBLEM_STATUSES = {SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID}
RECENT_PURCHASES = 5
PURCHASE_BADGES = {
    PurchaseStatus.PENDING: "badge-queued",
    PurchaseStatus.PAID: "badge-succeeded",
    PurchaseStatus.REFUNDED: "badge-canceled",
    PurchaseStatus.PARTIALLY_REFUNDED: "badge-canceled",
}
# The pages with a "Buy credits" card, by URL name: a purchase returns to the one it came from.
PACK_PAGES = ("billing", "credits")


def _absolute(path: str) -> str:
    # Stripe sends the customer back here: BASE_URL, never the Host header the request brought.
    return settings.BASE_URL + path


def _credits_available(team) -> int:
    return credits_balance_get(team=team).available


def _dollars(cents: int) -> str:
    return f"${cents // 100:,}" if cents % 100 == 0 else f"${cents / 100:,.2f}"


def packs_context(request, *, page: str) -> dict:
    """What the "Buy credits" card (billing.html#packs) shows on `page`."""
    purchases = credit_purchase_list_for_team(team=request.team)[:RECENT_PURCHASES]
    return {
        "pack_rows": [
            {"pack": p, "credits": f"{p.credits:,}", "price": _dollars(p.price_cents)}
            for p in pack_list_active()
        ],
        "purchase_rows": [
            {
                "purchase": p,
                "credits": f"{p.credits:,}",
                "price": _dollars(p.amount_cents),
                "badge": PURCHASE_BADGES[p.status],
            }
            for p in purchases
        ],
        "pack_page": page,
        "pack_checkout_mode": checkout_mode(),
        "can_buy_packs": request.membership.is_owner,
    }


def pricing(request):
    membership = getattr(request, "membership", None)
    team = membership.team if membership else None
    selected = request.GET.get("plan", "")
    plans = list(plan_list_paid())
    every_plan = plan_list()
    return render(
        request,
        "web/billing/pricing.html",
        {
            "plans": plans,
            "every_plan": every_plan,
            "feature_rows": plan_feature_rows(every_plan),
            "trial": trial_available(team=team, user=request.user) if team else True,
            "selected": selected if any(p.code == selected for p in plans) else "",
            "is_owner": bool(membership and membership.is_owner),
            "team": team,
            "checkout_mode": checkout_mode(),
            "subscribed": bool(team and subscription_is_live(team=team)),
        },
    )


@owner_required
@require_POST
def checkout(request):
    plan_code = request.POST.get("plan", "")
    try:
        url = subscription_checkout_start(
            team=request.team,
            user=request.user,
            plan_code=plan_code,
            success_url=_absolute("/dashboard/billing") + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=_absolute("/pricing?" + urlencode({"plan": plan_code})),
            portal_return_url=_absolute("/dashboard/billing"),
        )
    except PlanNotFound as error:
        raise Http404(error.message) from error
    except BillingNotConfigured as error:
        messages.error(request, error.message)
        return redirect("pricing")
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("billing")
    if url is None:
        trial = (
            " (trial)" if request.team.subscription_status == SubscriptionStatus.TRIALING else ""
        )
        messages.success(
            request,
            f"Development checkout: your team is now on the {request.team.plan.name} plan{trial}.",
        )
        return redirect("billing")
    return redirect(url)


@owner_required
@require_POST
def pack_checkout(request):
    page = request.POST.get("page", "")
    page = page if page in PACK_PAGES else "billing"
    try:
        pack = pack_get_active(code=request.POST.get("pack", ""))
    except PackNotFound as error:
        raise Http404(error.message) from error
    try:
        url = pack_checkout_start(
            team=request.team,
            user=request.user,
            pack=pack,
            success_url=_absolute("/dashboard/billing?purchase=complete"),
            cancel_url=_absolute(reverse(page)),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(page)
    if url is None:
        messages.success(
            request, f"Development checkout: {pack.credits:,} credits were added to your team."
        )
        return redirect(page)
    return redirect(url)


@owner_required
@require_POST
def portal(request):
    try:
        url = portal_session_create(team=request.team, return_url=_absolute("/dashboard/billing"))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("billing")
    return redirect(url)


def _confirmable_session_id(request) -> str:
    """The checkout session Stripe returned with, when this visitor can confirm it."""
    session_id = request.GET.get("session_id", "")[:255]
    if session_id and request.membership.is_owner and gateway.stripe_enabled():
        return session_id
    return ""


@owner_required
def _checkout_confirm(request):
    """The return from Stripe, applied: a POST, which the page sends itself (htmx, on load) or
    the owner sends with its button. The webhook applies the same checkout if it comes first."""
    session_id = request.POST.get("session_id", "")[:255]
    if session_id and gateway.stripe_enabled():
        try:
            if checkout_session_sync(team=request.team, session_id=session_id, user=request.user):
                messages.success(request, "Thanks! Your subscription is active.")
        except DomainError as error:
            messages.error(request, error.message)
    if request.htmx:
        return HttpResponseClientRedirect(reverse("billing"))
    return redirect("billing")


@team_required
@require_http_methods(["GET", "HEAD", "POST"])
def billing(request):
    if request.method == "POST":
        return _checkout_confirm(request)
    team = request.team
    if request.GET.get("purchase") == "complete":
        messages.success(
            request, "Thanks! The credits are added as soon as Stripe confirms the payment."
        )
        return redirect("billing")
    team.refresh_from_db()
    billing_state = team_billing_get(team=team)
    return render(
        request,
        "web/billing/billing.html",
        {
            "team": team,
            "plan": team.plan,
            "effective_plan": plan_effective_for_team(team=team),
            "billing": billing_state,
            "payment_problem": bool(billing_state and billing_state.payment_failed_at)
            or team.subscription_status in PAYMENT_PROBLEM_STATUSES,
            "is_owner": request.membership.is_owner,
            "checkout_mode": checkout_mode(),
            "credits_available": _credits_available(team),
            "debug": settings.DEBUG,
            # A GET never writes: the return from Stripe shows "confirming…" and posts itself.
            "confirming_session_id": _confirmable_session_id(request),
            **packs_context(request, page="billing"),
        },
    )
