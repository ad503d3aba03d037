from datetime import datetime

from ninja import Query, Router, Schema, Status
from pydantic import Field

from genfans.accounts.memberships import team_leave, team_member_remove
from genfans.accounts.two_factor import team_two_factor_require
from genfans.api.accounts import team_auth, team_caller, user_auth
from genfans.core.http import client_ip
from genfans.core.pagination import paginate
from genfans.emails.models import EmailStatus
from genfans.teams.activity import activity_actor_name
from genfans.teams.emails import invitation_link
from genfans.teams.middleware import SESSION_TEAM_KEY
from genfans.teams.models import Role
from genfans.teams.selectors import (
    activity_list_for_team,
    invitation_list_pending_for_team,
    member_list_for_team,
)
from genfans.teams.services import (
    invitation_accept,
    team_invitation_revoke,
    team_member_invite,
    team_member_role_change,
    team_rename,
)

router = Router(tags=["team"])


class PlanOut(Schema):
    code: str
    name: str
    monthly_credits: int
    max_concurrent_jobs: int
    max_queued_jobs: int


class MemberOut(Schema):
    user_id: str
    email: str
    name: str
    role: str
    joined_at: datetime


class TeamOut(Schema):
    id: str
    name: str
    plan: PlanOut
    subscription_status: str
    two_factor_required: bool
    role: str | None
    members: list[MemberOut]


class TeamPatchIn(Schema):
    name: str = Field(max_length=200)


class TwoFactorRequirementIn(Schema):
    required: bool


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None


class RoleIn(Schema):
    role: str = Field(max_length=16)


class InvitationIn(Schema):
    email: str = Field(max_length=254)
    role: str = Field(default=Role.MEMBER.value, max_length=16)


class InvitationOut(Schema):
    id: str
    email: str
    role: str
    status: str
    invited_by: str | None
    expires_at: datetime
    created_at: datetime
    link: str
    # Where the invitation's email is: pending, sending, sent, failed, or canceled (not needed).
    email_status: str | None


class InvitationPage(Schema):
    items: list[InvitationOut]
    next_cursor: str | None


class AcceptOut(Schema):
    team_id: str
    team_name: str
    role: str


class PersonOut(Schema):
    id: str
    name: str


class ActivityOut(Schema):
    action: str
    user: str | None
    # Who acted, as the page says it: a person's name, "API key <name>", "system", or
    # "A former member".
    actor: str
    # Whom it was done to (a removed member, a changed role); null when nobody or deleted.
    subject: PersonOut | None
    ip_address: str | None
    metadata: dict
    # What changed: {field: [old, new]}.
    changes: dict
    created_at: datetime


class ActivityPage(Schema):
    items: list[ActivityOut]
    next_cursor: str | None


class PageQuery(Schema):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)


def member_out(member) -> dict:
    return {
        "user_id": str(member.user_id),
        "email": member.user.email,
        "name": member.user.name,
        "role": member.role,
        "joined_at": member.created_at,
    }


def invitation_out(invitation, *, email_status: str | None) -> dict:
    return {
        "id": str(invitation.id),
        "email": invitation.email,
        "role": invitation.role,
        "status": invitation.status,
        "invited_by": invitation.invited_by.email if invitation.invited_by else None,
        "expires_at": invitation.expires_at,
        "created_at": invitation.created_at,
        "link": invitation_link(invitation.id),
        "email_status": email_status,
    }


def _subject_out(user) -> dict | None:
    if user is None or user.is_deleted:
        return None
    return {"id": str(user.pk), "name": user.display_name}


def team_out(caller) -> dict:
    team = caller.team
    return {
        "id": str(team.id),
        "name": team.name,
        "plan": team.plan,
        "subscription_status": team.subscription_status,
        "two_factor_required": team.two_factor_required,
        "role": caller.membership.role if caller.membership else None,
        "members": [member_out(m) for m in member_list_for_team(team=team)],
    }


@router.get("/team", response=TeamOut, auth=team_auth)
def current_team(request):
    return team_out(team_caller(request))


@router.patch("/team", response=TeamOut, auth=team_auth)
def rename_team(request, payload: TeamPatchIn):
    """Rename the team (owners)."""
    caller = team_caller(request)
    team_rename(
        team=caller.team, user=caller.user, name=payload.name, ip_address=client_ip(request)
    )
    return team_out(caller)


@router.put("/team/two-factor", response=TeamOut, auth=team_auth)
def require_two_factor(request, payload: TwoFactorRequirementIn):
    """Require two-factor sign-in of every member (owners). Members without it then get 403
    `two_factor_setup_required` on the team's endpoints from a session until they turn it on;
    API keys keep working. An owner without two-factor sign-in gets 409 `two_factor_not_enabled`."""
    caller = team_caller(request)
    team_two_factor_require(
        team=caller.team,
        user=caller.user,
        required=payload.required,
        ip_address=client_ip(request),
    )
    return team_out(caller)


@router.get("/team/members", response=MemberPage, auth=team_auth)
def list_members(request, query: Query[PageQuery]):
    caller = team_caller(request)
    page = paginate(member_list_for_team(team=caller.team), limit=query.limit, cursor=query.cursor)
    return {"items": [member_out(m) for m in page.items], "next_cursor": page.next_cursor}


@router.patch("/team/members/{user_id}", response=MemberOut, auth=team_auth)
def change_member_role(request, user_id: str, payload: RoleIn):
    """Make a member owner or member (owners). The last owner cannot be demoted (409)."""
    caller = team_caller(request)
    member = team_member_role_change(
        team=caller.team,
        user=caller.user,
        member_user_id=user_id,
        role=payload.role,
        ip_address=client_ip(request),
    )
    return member_out(member)


@router.delete("/team/members/{user_id}", response={204: None}, auth=team_auth)
def remove_member(request, user_id: str):
    """Remove someone from the team (owners). The last owner cannot be removed (409)."""
    caller = team_caller(request)
    team_member_remove(
        team=caller.team, user=caller.user, member_user_id=user_id, ip_address=client_ip(request)
    )
    return Status(204, None)


@router.post("/team/leave", response={204: None}, auth=team_auth)
def leave_team(request):
    """Leave the current team. The last owner gets 409 `last_owner`."""
    caller = team_caller(request)
    team_leave(team=caller.team, user=caller.user, ip_address=client_ip(request))
    request.session.pop(SESSION_TEAM_KEY, None)
    return Status(204, None)


@router.get("/team/invitations", response=InvitationPage, auth=team_auth)
def list_invitations(request, query: Query[PageQuery]):
    """Pending invitations that have not expired."""
    caller = team_caller(request)
    page = paginate(
        invitation_list_pending_for_team(team=caller.team), limit=query.limit, cursor=query.cursor
    )
    items = [invitation_out(i, email_status=i.email_status) for i in page.items]
    return {"items": items, "next_cursor": page.next_cursor}


@router.post("/team/invitations", response={201: InvitationOut}, auth=team_auth)
def invite(request, payload: InvitationIn):
    """Invite someone by email (owners); the email carries the accept link."""
    caller = team_caller(request)
    invitation = team_member_invite(
        team=caller.team,
        user=caller.user,
        email=payload.email,
        role=payload.role,
        ip_address=client_ip(request),
    )
    # Its email is recorded and goes out once this request has committed.
    return Status(201, invitation_out(invitation, email_status=EmailStatus.PENDING))


@router.delete("/team/invitations/{invitation_id}", response={204: None}, auth=team_auth)
def revoke_invitation(request, invitation_id: str):
    caller = team_caller(request)
    team_invitation_revoke(
        team=caller.team,
        user=caller.user,
        invitation_id=invitation_id,
        ip_address=client_ip(request),
    )
    return Status(204, None)


@router.post("/invitations/{invitation_id}/accept", response=AcceptOut, auth=user_auth)
def accept_invitation(request, invitation_id: str):
    """The signed-in user joins the inviting team, which becomes their current team."""
    membership = invitation_accept(
        invitation_id=invitation_id, user=request.auth.user, ip_address=client_ip(request)
    )
    request.session[SESSION_TEAM_KEY] = str(membership.team_id)
    return {
        "team_id": str(membership.team_id),
        "team_name": membership.team.name,
        "role": membership.role,
    }


@router.get("/team/activity", response=ActivityPage, auth=team_auth)
def list_activity(request, query: Query[PageQuery]):
    """The team's activity log, newest first."""
    caller = team_caller(request)
    page = paginate(
        activity_list_for_team(team=caller.team), limit=query.limit, cursor=query.cursor
    )
    return {
        "items": [
            {
                "action": entry.action,
                "user": entry.user.email if entry.user else None,
                "actor": activity_actor_name(entry),
                "subject": _subject_out(entry.subject_user),
                "ip_address": entry.ip_address,
                "metadata": entry.metadata,
                "changes": entry.changes,
                "created_at": entry.created_at,
            }
            for entry in page.items
        ],
        "next_cursor": page.next_cursor,
    }
