from django.db import transaction
from django.utils import timezone

from genfans.core.identity import email_normalize
from genfans.core.locks import rows_locked
from genfans.core.text import text_line
from genfans.emails.models import EmailKind
from genfans.emails.queue import email_send_on_commit
from genfans.teams.activity import activity_record
from genfans.teams.errors import (
    AlreadyMember,
    InvalidRole,
    InvalidTeamName,
    InvitationEmailMismatch,
    InvitationInvalid,
    InvitationPending,
    LastOwner,
    NotTeamOwner,
)
from genfans.teams.models import Action, Invitation, InvitationStatus, Role, Team, TeamMember
from genfans.teams.selectors import (
    invitation_get_for_team,
    invitation_get_open,
    member_get_for_team,
    owners_other_exist,
)


def team_create(*, owner, name: str, plan, ip_address: str | None = None) -> Team:
    """Create a team on `plan` owned by `owner`. Runs inside the caller's transaction; what a
    new team is given (the Free plan, the Free grant) is billing's `team_open`."""
    team = Team.objects.create(name=name, plan=plan)
    TeamMember.objects.create(team=team, user=owner, role=Role.OWNER)
    activity_record(action=Action.CREATE_TEAM, team=team, user=owner, ip_address=ip_address)
    return team


def team_name_clean(name: str) -> str:
    name = text_line(name, field="name")
    if not 1 <= len(name) <= 100:
        raise InvalidTeamName(field="name")
    return name


def _clean_role(role: str) -> Role:
    if role not in Role.values:
        raise InvalidRole(field="role")
    return Role(role)


def team_lock(team: Team) -> Team:
    """Membership changes of one team, and what depends on who is a member (creating an API
    key), run one at a time: two owners demoting each other concurrently cannot leave the team
    without an owner, and a key cannot be created by an owner being removed. Taken before the
    actor's own role is checked, so that check sees the latest committed roles."""
    return rows_locked("team", Team.objects.filter(pk=team.pk)).get()


def team_owner_require(*, team: Team, user) -> TeamMember:
    membership = (
        TeamMember.objects.filter(team=team, user=user).first() if user is not None else None
    )
    if membership is None or not membership.is_owner:
        raise NotTeamOwner()
    return membership


@transaction.atomic(durable=True)
def team_rename(*, team: Team, user, name: str, ip_address: str | None = None) -> Team:
    team_owner_require(team=team, user=user)
    previous = team.name
    team.name = team_name_clean(name)
    team.save(update_fields=["name", "updated_at"])
    activity_record(
        action=Action.UPDATE_TEAM,
        team=team,
        user=user,
        ip_address=ip_address,
        metadata={"name": team.name},
        changes={"name": (previous, team.name)},
    )
    return team


@transaction.atomic(durable=True)
def team_member_invite(
    *, team: Team, user, email: str, role: str = Role.MEMBER, ip_address: str | None = None
) -> Invitation:
    team_owner_require(team=team, user=user)
    email = email_normalize(email)
    role = _clean_role(role)
    team_lock(team)
    if TeamMember.objects.filter(team=team, user__email__iexact=email).exists():
        raise AlreadyMember(field="email")
    pending = Invitation.objects.filter(
        team=team, email__iexact=email, status=InvitationStatus.PENDING
    )
    if pending.filter(expires_at__gt=timezone.now()).exists():
        raise InvitationPending(field="email")
    pending.update(status=InvitationStatus.EXPIRED)
    invitation = Invitation.objects.create(team=team, email=email, role=role, invited_by=user)
    activity_record(
        action=Action.INVITE_TEAM_MEMBER,
        team=team,
        user=user,
        ip_address=ip_address,
        metadata={"email": email, "role": role, "invitation_id": str(invitation.id)},
    )
    email_send_on_commit(
        kind=EmailKind.INVITATION, recipient=email, team=team, invitation=invitation
    )
    return invitation


@transaction.atomic(durable=True)
def team_invitation_revoke(
    *, team: Team, user, invitation_id, ip_address: str | None = None
) -> Invitation:
    team_owner_require(team=team, user=user)
    invitation = invitation_get_for_team(team=team, invitation_id=invitation_id)
    updated = Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.PENDING).update(
        status=InvitationStatus.REVOKED, updated_at=timezone.now()
    )
    if not updated:
        raise InvitationInvalid("Only a pending invitation can be revoked.")
    invitation.status = InvitationStatus.REVOKED
    activity_record(
        action=Action.REVOKE_INVITATION,
        team=team,
        user=user,
        ip_address=ip_address,
        metadata={"email": invitation.email, "invitation_id": str(invitation.id)},
    )
    return invitation


def invitation_join(*, invitation_id, user, ip_address: str | None = None) -> TeamMember:
    """Accept an open invitation for `user` inside the caller's transaction (sign-up uses it)."""
    invitation = invitation_get_open(invitation_id=invitation_id)
    if invitation.email.lower() != user.email.lower():
        raise InvitationEmailMismatch()
    team = team_lock(invitation.team)
    claimed = Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.PENDING).update(
        status=InvitationStatus.ACCEPTED, updated_at=timezone.now()
    )
    if not claimed:
        raise InvitationInvalid()
    membership, created = TeamMember.objects.get_or_create(
        team=team, user=user, defaults={"role": invitation.role}
    )
    if created:
        activity_record(
            action=Action.ACCEPT_INVITATION,
            team=team,
            user=user,
            ip_address=ip_address,
            metadata={"invitation_id": str(invitation.id), "role": membership.role},
        )
    return membership


@transaction.atomic(durable=True)
def invitation_accept(*, invitation_id, user, ip_address: str | None = None) -> TeamMember:
    """A signed-in user accepts an invitation sent to their address."""
    return invitation_join(invitation_id=invitation_id, user=user, ip_address=ip_address)


@transaction.atomic(durable=True)
def team_member_role_change(
    *, team: Team, user, member_user_id, role: str, ip_address: str | None = None
) -> TeamMember:
    team_lock(team)
    team_owner_require(team=team, user=user)
    role = _clean_role(role)
    member = member_get_for_team(team=team, user_id=member_user_id)
    if member.role == role:
        return member
    if member.is_owner and not owners_other_exist(team=team, user_id=member.user_id):
        raise LastOwner()
    previous = member.role
    member.role = role
    member.save(update_fields=["role", "updated_at"])
    activity_record(
        action=Action.CHANGE_ROLE,
        team=team,
        user=user,
        ip_address=ip_address,
        subject_user=member.user,
        changes={"role": (previous, role)},
    )
    return member
