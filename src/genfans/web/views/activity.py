from django.shortcuts import render

from genfans.teams.activity import activity_actor_name, activity_subject_name
from genfans.teams.selectors import activity_list_for_team
from genfans.web.decorators import team_required
from genfans.web.pagination import page_for_request

PAGE_SIZE = 25
# Why a key was revoked when nobody revoked it by hand.
REVOKE_REASONS = {
    "member_removed": "its creator was removed from the team",
    "member_left": "its creator left the team",
    "account_deleted": "its creator deleted their account",
    "former_member": "its creator was no longer a member",
}


def _update_team(data: dict) -> str:
    if "two_factor_required" in data:
        return "two-factor sign-in " + ("required" if data["two_factor_required"] else "optional")
    return f"renamed to {data.get('name')}"


def _revoke_api_key(data: dict) -> str:
    key = f"{data.get('name')} ({data.get('prefix')}…)"
    reason = REVOKE_REASONS.get(data.get("reason"))
    return f"{key}: {reason}" if reason else key


def _change(entry, field: str) -> str:
    old, new = (entry.changes or {}).get(field) or (None, None)
    return f"{old} → {new}"


def _remove_team_member(entry) -> str:
    if (entry.metadata or {}).get("left"):
        return "left the team"
    return activity_subject_name(entry)


def describe(entry) -> str:
    """One line per entry, from its metadata."""
    data = entry.metadata or {}
    details = {
        "invite_team_member": lambda: f"{data.get('email')} as {data.get('role')}",
        "revoke_invitation": lambda: data.get("email"),
        "remove_team_member": lambda: _remove_team_member(entry),
        "change_role": lambda: f"{activity_subject_name(entry)}: " + _change(entry, "role"),
        "update_team": lambda: _update_team(data),
        "create_api_key": lambda: f"{data.get('name')} ({data.get('prefix')}…)",
        "revoke_api_key": lambda: _revoke_api_key(data),
        "update_account": lambda: "changed " + ", ".join(data.get("fields", [])),
        "sign_out": lambda: "all other sessions" if data.get("other_sessions") else "",
        "set_spend_limit": lambda: (
            f"{'an API key' if data.get('api_key_id') else 'a member'}: "
            f"{data.get('from') or 'no cap'} → {data.get('to') or 'no cap'} a month"
        ),
        "verify_email": lambda: f"{data.get('free_credits') or 0} free credits",
    }.get(entry.action)
    return (details() if details else "") or ""


@team_required
def activity(request):
    cursor = request.GET.get("cursor") or None
    page = page_for_request(request, activity_list_for_team(team=request.team), limit=PAGE_SIZE)
    entries = [(entry, activity_actor_name(entry), describe(entry)) for entry in page.items]
    return render(
        request,
        "web/activity/activity.html",
        {"entries": entries, "next_cursor": page.next_cursor, "is_first_page": not cursor},
    )
