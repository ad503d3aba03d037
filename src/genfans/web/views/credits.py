from django.shortcuts import render

from genfans.billing.selectors import plan_monthly_allowance
from genfans.credits.models import Kind
from genfans.credits.selectors import credit_transaction_list_for_team, credits_balance_get
from genfans.web.decorators import team_required
from genfans.web.pagination import page_for_request
from genfans.web.views.billing import packs_context

PAGE_SIZE = 20

# What a row did, in words: reserved credits are held, not yet spent.
EFFECT_NOTES = {
    Kind.RESERVE: "held for a job",
    Kind.CAPTURE: "the job's cost",
    Kind.RELEASE: "returned from the hold",
    Kind.EXPIRE: "unused subscription credits",
}


def _history_context(request, team) -> dict:
    kind = request.GET.get("kind", "")
    if kind not in Kind.values:
        kind = ""
    rows = credit_transaction_list_for_team(team=team, kind=kind or None)
    page = page_for_request(request, rows, limit=PAGE_SIZE)
    return {
        "kind": kind,
        "kinds": Kind.choices,
        "rows": [
            {
                "tx": row,
                "change": row.available_delta,
                "note": EFFECT_NOTES.get(row.kind, row.reason),
            }
            for row in page.items
        ],
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
