from genfans.core.errors import Conflict, NotFound, PermissionDenied, ValidationError


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


class InvitationEmailMismatch(PermissionDenied):
    code = "invitation_email_mismatch"
    default_message = "This invitation was sent to a different email address."


class InvalidRole(ValidationError):
    code = "invalid_role"
    default_message = "Role must be owner or member."


class InvalidTeamName(ValidationError):
    code = "invalid_team_name"
    default_message = "Enter a team name of 1 to 100 characters."


class MemberNotFound(NotFound):
    code = "member_not_found"
    default_message = "No such member in this team."


class InvitationNotFound(NotFound):
    code = "invitation_not_found"
    default_message = "No such invitation in this team."


class NoTeam(NotFound):
    code = "no_team"
    default_message = "You are not a member of any team."
