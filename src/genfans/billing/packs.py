"""Credit packs: one-off purchases of credits that never expire (top-ups).

A pack is bought through a Stripe Checkout Session in `payment` mode and granted once, keyed
by the session id, when Stripe says it is paid (`checkout.session.completed`, or
`checkout.session.async_payment_succeeded` for payment methods that settle later). A refund
takes back the refunded share of the pack, but only what is still unspent: charges carry
cumulative `amount_refunded`, so each refund event settles the difference between the share
refunded so far and what the purchase has already accounted for, which makes replays and
out-of-order events change nothing. Lock order: the purchase row, then the credit balance.
"""

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from genfans.billing import gateway
from genfans.billing.errors import (
    DevCheckoutDisabled,
    PackNotFound,
    PackNotPurchasable,
    PackPurchaseInvalid,
    PackPurchaseUnknown,
)
from genfans.billing.models import CreditPack, CreditPurchase, PurchaseStatus
from genfans.billing.selectors import dev_checkout_enabled
from genfans.billing.stripe_objects import ref_id
from genfans.core.locks import rows_locked
from genfans.credits.services import credits_grant, credits_refund
from genfans.teams.activity import activity_record
from genfans.teams.models import Action, Team
from genfans.teams.services import team_owner_require

logger = logging.getLogger(__name__)

# `metadata[kind]` of a pack's session and payment: tells its events from subscription ones.
PACK_KIND = "pack"


@dataclass(frozen=True)
class PackChange:
    """What a pack event did to the team's credits, and why when it did nothing."""

    credits: int
    note: str = ""


# --- selectors -------------------------------------------------------------------------------


def pack_list_active():
    return CreditPack.objects.filter(active=True).order_by("sort_order")


def pack_get_active(*, code: str) -> CreditPack:
    pack = CreditPack.objects.filter(code=code, active=True).first()
    if pack is None:
        raise PackNotFound()
    return pack


def pack_lookup_key(pack: CreditPack) -> str:
    """The Stripe price lookup key `genfans setup` gives a pack's one-time price."""
    return f"genfans_pack_{pack.code}"


def price_id_for_pack(*, pack: CreditPack) -> str:
    """The Stripe price a pack is sold at: the seeded id, the environment, or its lookup key."""
    price_id = pack.stripe_price_id or settings.STRIPE_PACK_PRICES.get(pack.code, "")
    if price_id:
        return price_id
    price = gateway.price_find_by_lookup_key(lookup_key=pack_lookup_key(pack))
    if price is None:
        raise PackNotPurchasable(
            f"The {pack.name} pack has no Stripe price yet: run `genfans setup`."
        )
    return price["id"]


def credit_purchase_list_for_team(*, team: Team):
    return (
        CreditPurchase.objects.filter(team=team)
        .select_related("pack")
        .order_by("-created_at", "-pk")
    )


# --- buying ----------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def pack_dev_purchase(*, team: Team, user, pack: CreditPack) -> CreditPurchase:
    """Buy a pack locally, as a paid Stripe checkout would (DEBUG without a key only)."""
    if not dev_checkout_enabled():
        raise DevCheckoutDisabled()
    team_owner_require(team=team, user=user)
    if not pack.active:
        raise PackNotFound()
    purchase = CreditPurchase.objects.create(
        team=team,
        pack=pack,
        user=user,
        credits=pack.credits,
        amount_cents=pack.price_cents,
        stripe_session_id=f"dev-{uuid.uuid4()}",
        status=PurchaseStatus.PAID,
        paid_at=timezone.now(),
    )
    _grant(team=team, purchase=purchase)
    return purchase


def _grant(*, team: Team, purchase: CreditPurchase) -> bool:
    granted = credits_grant(
        team=team,
        amount=purchase.credits,
        idempotency_key=f"pack:{purchase.stripe_session_id}",
        reference=f"credit pack {purchase.pack.code} ({purchase.stripe_session_id})",
    )
    if granted:
        activity_record(
            action=Action.CREDITS_REPLENISHED,
            team=team,
            user=purchase.user,
            metadata={
                "reference": purchase.stripe_session_id,
                "granted": purchase.credits,
                "pack": purchase.pack.code,
            },
        )
    return granted


# --- Stripe events ---------------------------------------------------------------------------


def _purchase_for_session(*, team: Team, session: dict) -> CreditPurchase:
    """The session's purchase, locked; recorded from the session's metadata when checkout did
    not get to record it (the customer paid, so it is still granted)."""
    purchases = rows_locked("credit_purchase", CreditPurchase.objects.select_related("pack"))
    purchase = purchases.filter(team=team, stripe_session_id=session["id"]).first()
    if purchase is not None:
        return purchase
    code = (session.get("metadata") or {}).get("pack")
    pack = CreditPack.objects.filter(code=code).first() if code else None
    if pack is None:
        raise PackPurchaseInvalid(f"The session names no known credit pack (pack={code!r}).")
    CreditPurchase.objects.get_or_create(
        stripe_session_id=session["id"],
        defaults={
            "team": team,
            "pack": pack,
            "credits": pack.credits,
            "amount_cents": pack.price_cents,
        },
    )
    return purchases.get(team=team, stripe_session_id=session["id"])


def pack_purchase_complete(*, team: Team, session: dict) -> PackChange:
    """Grant a paid pack session's credits once (keyed by the session id) and mark the purchase
    paid. An unpaid session (a payment method that settles later) grants nothing yet. Raises
    PackPurchaseInvalid, granting nothing, when the session's pack is unknown or its total is not
    the price recorded at checkout. Runs inside the caller's transaction (the webhook's)."""
    purchase = _purchase_for_session(team=team, session=session)
    payment_status = session.get("payment_status")
    if payment_status != "paid":
        return PackChange(0, f"awaiting payment (payment_status {payment_status})")
    amount_total = session.get("amount_total")
    if amount_total != purchase.amount_cents:
        logger.warning(
            "pack session %s of team %s: paid %s, expected %s; no credits granted",
            session["id"],
            team.pk,
            amount_total,
            purchase.amount_cents,
        )
        raise PackPurchaseInvalid(
            f"The session's amount_total ({amount_total}) is not the pack's price at checkout "
            f"({purchase.amount_cents}): no credits were granted."
        )
    granted = _grant(team=team, purchase=purchase)
    if purchase.status == PurchaseStatus.PENDING:
        purchase.status = PurchaseStatus.PAID
        purchase.stripe_payment_intent_id = ref_id(session.get("payment_intent"))
        purchase.paid_at = timezone.now()
        purchase.save(update_fields=["status", "stripe_payment_intent_id", "paid_at", "updated_at"])
    if not granted:
        return PackChange(0, "credits for this session were already granted")
    return PackChange(purchase.credits)


def pack_refund(*, team: Team, charge: dict) -> PackChange:
    """Take back the refunded share of a pack, rounded down, but only what the team has not
    spent (its non-plan credits available); the rest is recorded as not recovered, logged and
    written to the activity log. Runs inside the caller's transaction (the webhook's)."""
    payment_intent = ref_id(charge.get("payment_intent"))
    purchase = (
        rows_locked(
            "credit_purchase",
            CreditPurchase.objects.select_related("pack").filter(
                team=team, stripe_payment_intent_id=payment_intent
            ),
        ).first()
        if payment_intent
        else None
    )
    if purchase is None:
        # Its checkout event may not be processed yet: failing makes Stripe deliver this again.
        raise PackPurchaseUnknown(f"No credit pack purchase has payment {payment_intent!r} yet.")
    amount, refunded = charge.get("amount"), charge.get("amount_refunded")
    if not isinstance(amount, int) or not isinstance(refunded, int) or not 0 <= refunded <= amount:
        raise PackPurchaseInvalid(f"The charge's amounts do not add up ({refunded} of {amount}).")
    if refunded <= purchase.refunded_cents:
        return PackChange(0, "this refund was already applied")
    # What earlier refunds took or could not take is exactly the share refunded until then.
    owed = purchase.credits * refunded // amount - (
        purchase.credits_taken_back + purchase.credits_not_recovered
    )
    taken = credits_refund(
        team=team,
        amount=owed,
        idempotency_key=f"refund:{charge['id']}:{refunded}",
        reference=f"refund of credit pack {purchase.pack.code} ({charge['id']})",
    )
    not_recovered = owed - taken
    purchase.refunded_cents = refunded
    purchase.credits_taken_back += taken
    purchase.credits_not_recovered += not_recovered
    purchase.status = (
        PurchaseStatus.REFUNDED if refunded == amount else PurchaseStatus.PARTIALLY_REFUNDED
    )
    purchase.save(
        update_fields=[
            "refunded_cents",
            "credits_taken_back",
            "credits_not_recovered",
            "status",
            "updated_at",
        ]
    )
    if not not_recovered:
        return PackChange(taken)
    logger.warning(
        "refund %s of team %s: %s credits were already spent and not taken back",
        charge["id"],
        team.pk,
        not_recovered,
    )
    activity_record(
        action=Action.CREDITS_ADJUSTED,
        team=team,
        metadata={
            "reason": "credit pack refunded after its credits were spent",
            "pack": purchase.pack.code,
            "charge": charge["id"],
            "refunded_cents": refunded,
            "taken_back": taken,
            "not_recovered": not_recovered,
        },
    )
    return PackChange(taken, f"{not_recovered} credits were already spent and not taken back")
