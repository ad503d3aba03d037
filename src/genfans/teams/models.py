from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from genfans.core.models import BaseModel


class SubscriptionStatus(models.TextChoices):
    NONE = "none", "None"
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    UNPAID = "unpaid", "Unpaid"
    CANCELED = "canceled", "Canceled"


class Team(BaseModel):
    name = models.CharField(max_length=100)
    plan = models.ForeignKey("billing.Plan", on_delete=models.PROTECT, related_name="teams")
    stripe_customer_id = models.CharField(max_length=100, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=100, blank=True, db_index=True)
    subscription_status = models.CharField(
        max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.NONE
    )
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    # Members without two-factor sign-in are sent to set it up before they use the team.
    two_factor_required = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MEMBER = "member", "Member"


class TeamMember(BaseModel):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="team_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


def _invitation_expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_DAYS)


class Invitation(BaseModel):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    expires_at = models.DateTimeField(default=_invitation_expiry)

    def __str__(self) -> str:
        return f"{self.email} → {self.team}"

    @property
    def is_open(self) -> bool:
        return self.status == InvitationStatus.PENDING and self.expires_at > timezone.now()


class Action(models.TextChoices):
    SIGN_UP = "sign_up", "Signed up"
    VERIFY_EMAIL = "verify_email", "Verified their email"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_OUT = "sign_out", "Signed out"
    UPDATE_PASSWORD = "update_password", "Changed password"
    RESET_PASSWORD = "reset_password", "Reset password"
    DELETE_ACCOUNT = "delete_account", "Deleted account"
    UPDATE_ACCOUNT = "update_account", "Updated account"
    CREATE_TEAM = "create_team", "Created the team"
    UPDATE_TEAM = "update_team", "Updated the team"
    INVITE_TEAM_MEMBER = "invite_team_member", "Invited a member"
    REVOKE_INVITATION = "revoke_invitation", "Revoked an invitation"
    ACCEPT_INVITATION = "accept_invitation", "Joined the team"
    REMOVE_TEAM_MEMBER = "remove_team_member", "Removed a member"
    CHANGE_ROLE = "change_role", "Changed a role"
    CREATE_API_KEY = "create_api_key", "Created an API key"
    REVOKE_API_KEY = "revoke_api_key", "Revoked an API key"
    SUBSCRIPTION_CHANGED = "subscription_changed", "Subscription changed"
    CREDITS_REPLENISHED = "credits_replenished", "Credits replenished"
    CREDITS_ADJUSTED = "credits_adjusted", "Credits adjusted"
    CREATE_MODEL = "create_model", "Created a model"
    REFINE_MODEL = "refine_model", "Refined a model"
    GENERATE = "generate", "Generated images"
    GENERATE_VIDEO = "generate_video", "Generated a video"
    FACE_SWAP = "face_swap", "Face swap"
    CANCEL_JOB = "cancel_job", "Canceled a job"
    SET_SPEND_LIMIT = "set_spend_limit", "Set a spend limit"
    ENABLE_TWO_FACTOR = "enable_two_factor", "Turned on two-factor sign-in"
    DISABLE_TWO_FACTOR = "disable_two_factor", "Turned off two-factor sign-in"
    REGENERATE_RECOVERY_CODES = "regenerate_recovery_codes", "Made new recovery codes"
    USE_RECOVERY_CODE = "use_recovery_code", "Signed in with a recovery code"
    EXPORT_DATA = "export_data", "Downloaded their data"


class ActivityLog(models.Model):
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="activity"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The person the action was done to (a removed member, a changed role), by key, so it can
    # be queried and goes with the person's scrubbing.
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The key a request came with when no person acted (`user` is then empty).
    api_key = models.ForeignKey(
        "accounts.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # What changed, as {field: [old, new]}.
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["team", "-created_at"], name="activity_team_recent")]

    def __str__(self) -> str:
        return f"{self.action} by {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"
