from django.db.models import OuterRef, Subquery
from django.utils import timezone

from genfans.core.ids import uuid_or_none
from genfans.emails.models import EmailDelivery
from genfans.teams.errors import InvitationInvalid, InvitationNotFound, MemberNotFound
from genfans.teams.models import ActivityLog, Invitation, InvitationStatus, Role, TeamMember


def membership_get(*, user, team_id=None) -> TeamMember | None:
    """The user's membership in `team_id`, or in their oldest team when no id is given."""
    memberships = TeamMember.objects.select_related("team", "team__plan").filter(user=user)
    team_id = uuid_or_none(team_id) if team_id else None
    if team_id:
        found = memberships.filter(team_id=team_id).first()
        if found:
            return found
    return memberships.order_by("created_at").first()


def membership_list_for_user(*, user):
    return TeamMember.objects.filter(user=user).select_related("team").order_by("created_at")


def member_list_for_team(*, team):
    return (
        TeamMember.objects.filter(team=team, user__deleted_at__isnull=True)
        .select_related("user")
        .order_by("created_at")
    )


def member_count_for_team(*, team) -> int:
    return TeamMember.objects.filter(team=team, user__deleted_at__isnull=True).count()


def member_get_for_team(*, team, user_id) -> TeamMember:
    user_id = uuid_or_none(user_id)
    member = (
        TeamMember.objects.filter(team=team, user_id=user_id).select_related("user").first()
        if user_id
        else None
    )
    if member is None:
        raise MemberNotFound()
    return member


def owners_other_exist(*, team, user_id) -> bool:
    """Whether `team` has an owner besides `user_id`: the last owner cannot leave or step down."""
    return TeamMember.objects.filter(team=team, role=Role.OWNER).exclude(user_id=user_id).exists()


def invitation_list_pending_for_team(*, team):
    """Each with `email_status`: where its latest email is (None when it has none)."""
    latest_email = EmailDelivery.objects.filter(invitation=OuterRef("pk")).order_by("-created_at")
    return (
        Invitation.objects.filter(
            team=team, status=InvitationStatus.PENDING, expires_at__gt=timezone.now()
        )
        .select_related("invited_by")
        .annotate(email_status=Subquery(latest_email.values("status")[:1]))
        .order_by("-created_at")
    )


def invitation_get_for_team(*, team, invitation_id) -> Invitation:
    invitation_id = uuid_or_none(invitation_id)
    invitation = (
        Invitation.objects.filter(team=team, pk=invitation_id).first() if invitation_id else None
    )
    if invitation is None:
        raise InvitationNotFound()
    return invitation


def invitation_get_open(*, invitation_id) -> Invitation:
    """An invitation anyone holding its link may look at: pending and not expired.

    The id is a random UUID sent only to the invited address, so the link is the capability;
    accepting it still requires that address.
    """
    invitation_id = uuid_or_none(invitation_id)
    invitation = (
        Invitation.objects.select_related("team", "invited_by").filter(pk=invitation_id).first()
        if invitation_id
        else None
    )
    if invitation is None:
        raise InvitationInvalid("This invitation does not exist.")
    if invitation.status == InvitationStatus.ACCEPTED:
        raise InvitationInvalid("This invitation has already been accepted.")
    if invitation.status == InvitationStatus.REVOKED:
        raise InvitationInvalid("This invitation was revoked.")
    if not invitation.is_open:
        raise InvitationInvalid("This invitation has expired. Ask for a new one.")
    return invitation


def invitation_list_open_for_email(*, email: str):
    return Invitation.objects.filter(
        email__iexact=email, status=InvitationStatus.PENDING, expires_at__gt=timezone.now()
    ).select_related("team", "invited_by")


def activity_list_for_team(*, team):
    return (
        ActivityLog.objects.filter(team=team)
        .select_related("user", "subject_user", "api_key")
        .order_by("-created_at")
    )
