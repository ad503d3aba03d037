from genfans.core.errors import Conflict, PermissionDenied, ValidationError


class NotTeamOwner(PermissionDenied):
    code = "not_team_owner"
    default_message = "Only a team owner can do that."


class LastOwner(Conflict):
    code = "last_owner"
    default_message = "A team needs at least one owner: make someone else owner first."


class AlreadyMember(Conflict):
    code = "already_member"
    default_message = "That person is already a member of this team."


class InvitationPending(Conflict):
    code = "invitation_pending"
    default_message = "That email already has a pending invitation."


class InvitationInvalid(ValidationError):
    code = "invitation_invalid"
    default_message = "This invitation is no longer valid."
