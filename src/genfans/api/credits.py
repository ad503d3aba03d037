from datetime import datetime
from typing import Any

from ninja import Query, Router, Schema
from pydantic import Field

from genfans.api.security import api_auth
from genfans.billing.selectors import plan_monthly_allowance
from genfans.core.pagination import MAX_LIMIT, paginate
from genfans.credits.calculator import OPERATIONS, estimate
from genfans.credits.selectors import credit_transaction_list_for_team, credits_balance_get

router = Router(tags=["credits"])


class BalanceOut(Schema):
    available: int
    reserved: int
    plan_credits: int = Field(
        description="the part of `available` that is this period's plan credits: spent first, "
        "they expire when the period ends; the rest never expires"
    )
    plan: str
    monthly_allowance: int = Field(description="credits each billing period grants; 0 on free")
    next_renewal: datetime | None = Field(description="the end of the current billing period")


class TransactionOut(Schema):
    id: str
    kind: str
    amount: int
    available_after: int
    reserved_after: int
    job_id: str | None
    reference: str
    reason: str
    created_at: datetime


class HistoryPage(Schema):
    items: list[TransactionOut]
    next_cursor: str | None


class HistoryQuery(Schema):
    kind: str | None = Field(
        default=None, description="grant, replenish, reserve, capture, release, adjust, expire"
    )
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=200)


class EstimateIn(Schema):
    operation: str = Field(description=", ".join(OPERATIONS), max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)


class EstimateOut(Schema):
    operation: str
    credits: int
    breakdown: list[dict[str, Any]]


def transaction_out(row) -> dict:
    return {
        "id": str(row.id),
        "kind": row.kind,
        "amount": row.amount,
        "available_after": row.available_after,
        "reserved_after": row.reserved_after,
        "job_id": str(row.job_id) if row.job_id else None,
        "reference": row.reference,
        "reason": row.reason,
        "created_at": row.created_at,
    }


@router.get("/credits/balance", response=BalanceOut, auth=api_auth)
def balance(request):
    team = request.auth.team
    current = credits_balance_get(team=team)
    return {
        "available": current.available,
        "reserved": current.reserved,
        "plan_credits": current.subscription_available,
        "plan": team.plan.code,
        "monthly_allowance": plan_monthly_allowance(plan=team.plan),
        "next_renewal": team.current_period_end,
    }


@router.get("/credits/history", response=HistoryPage, auth=api_auth)
def history(request, query: Query[HistoryQuery]):
    """The team's ledger, newest first; each row names its job or its reference."""
    rows = credit_transaction_list_for_team(team=request.auth.team, kind=query.kind or None)
    page = paginate(rows, limit=query.limit, cursor=query.cursor)
    return {"items": [transaction_out(r) for r in page.items], "next_cursor": page.next_cursor}


@router.post("/credits/estimate", response=EstimateOut, auth=api_auth)
def estimate_cost(request, payload: EstimateIn):
    """What an operation with these parameters costs: the amount a job reserves."""
    result = estimate(operation=payload.operation, params=payload.params)
    return {
        "operation": payload.operation,
        "credits": result.credits,
        "breakdown": result.breakdown,
    }
