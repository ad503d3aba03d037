import re

from django.shortcuts import render

from genfans.billing.selectors import plan_monthly_allowance
from genfans.credits.models import Kind, ReservationStatus
from genfans.credits.selectors import HISTORY_KINDS, credit_history_for_team, credits_balance_get
from genfans.studio.models import JobType
from genfans.web.decorators import team_required
from genfans.web.pagination import page_for_request
from genfans.web.views.billing import packs_context

PAGE_SIZE = 20

# The filter chips, by ledger kind: a job's line is its hold, so "reserve" reads "Jobs".
HISTORY_FILTERS = [
    (Kind.RESERVE, "Jobs"),
    (Kind.GRANT, "Added"),
    (Kind.REPLENISH, "Plan credits"),
    (Kind.ADJUST, "Adjustments"),
    (Kind.EXPIRE, "Expired"),
    (Kind.REFUND, "Refunds"),
]
_PACK = re.compile(r"credit pack (\S+)")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _job_label(job) -> str:
    params = job.params or {}
    match job.type:
        case JobType.IMAGE_GENERATION:
            label = _plural(int(params.get("num_images") or 1), "image")
        case JobType.VIDEO_GENERATION:
            label = f"Video {params.get('duration_s', '?')} s"
        case JobType.MODEL_CREATION:
            label = "Model training"
        case JobType.MODEL_REFINEMENT:
            label = "Model refinement"
        case JobType.FACE_SWAP:
            label = "Face swap"
        case _:
            label = job.get_type_display()
    name = params.get("model_name")
    return f"{label} · {name}" if name else label


def _pack_code(tx) -> str:
    match = _PACK.search(tx.reference)
    return match.group(1).replace("-", " ").replace("_", " ").title() if match else ""


def _ledger_label(tx) -> str:
    """What a row that is not a job's line was, in words (never its internal key)."""
    key = tx.idempotency_key
    match tx.kind:
        case Kind.GRANT if key.startswith("pack:"):
            code = _pack_code(tx)
            return f"Bought the {code} credit pack" if code else "Bought a credit pack"
        case Kind.GRANT if key.startswith("free:"):
            return "Free credits for verifying your email"
        case Kind.GRANT:
            return "Credits added"
        case Kind.REPLENISH:
            return "Monthly plan credits"
        case Kind.ADJUST:
            return "Adjusted by GenFans support"
        case Kind.EXPIRE:
            return "Unused plan credits expired with the period"
        case Kind.REFUND:
            code = _pack_code(tx)
            return f"Refund of the {code} credit pack" if code else "Refund of a credit pack"
        case _:
            # The job was deleted since: only its ledger rows are left.
            return {
                Kind.RESERVE: "Held for a job",
                Kind.CAPTURE: "A job's cost",
                Kind.RELEASE: "Returned from a job",
            }.get(tx.kind, tx.get_kind_display())


def _history_line(tx) -> dict:
    job = tx.job
    if job is None:
        return {
            "tx": tx,
            "label": _ledger_label(tx),
            "change": tx.available_delta,
            "note": tx.reason if tx.kind == Kind.ADJUST else "",
        }
    reservation = getattr(job, "credit_reservation", None)
    pending = reservation is None or reservation.status == ReservationStatus.PENDING
    return {
        "tx": tx,
        "job": job,
        "label": _job_label(job),
        "held": tx.amount if pending else 0,
        "charged": 0 if pending else reservation.captured,
        "released": 0 if pending else reservation.amount - reservation.captured,
    }


def _history_context(request, team) -> dict:
    kind = request.GET.get("kind", "")
    if kind not in HISTORY_KINDS:
        kind = ""
    rows = credit_history_for_team(team=team, kind=kind or None)
    page = page_for_request(request, rows, limit=PAGE_SIZE)
    return {
        "kind": kind,
        "kinds": HISTORY_FILTERS,
        "rows": [_history_line(tx) for tx in page.items],
        "next_cursor": page.next_cursor,
        "first_page": not request.GET.get("cursor"),
    }


@team_required
def credits_page(request):
    team = request.team
    context = _history_context(request, team)
    if request.htmx and request.htmx.target == "credit-history":
        return render(request, "web/credits/credits.html#history", context)
    balance = credits_balance_get(team=team)
    context |= {
        "balance": balance,
        "plan": team.plan,
        "allowance": plan_monthly_allowance(plan=team.plan),
        "renews_at": team.current_period_end,
        **packs_context(request, page="credits"),
    }
    return render(request, "web/credits/credits.html", context)
