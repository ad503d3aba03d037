"""What the invitation email says. Rendered when the worker sends it (see `genfans.emails`)."""

from django.conf import settings
from django.template.loader import render_to_string

from genfans.emails.kinds import EmailContent
from genfans.emails.models import EmailDelivery
from genfans.teams.models import Invitation


def invitation_link(invitation_id) -> str:
    return f"{settings.BASE_URL}/invite/{invitation_id}"


def invitation_render(delivery: EmailDelivery) -> EmailContent | None:
    invitation = (
        Invitation.objects.select_related("team", "invited_by")
        .filter(pk=delivery.invitation_id)
        .first()
    )
    if invitation is None or not invitation.is_open:
        return None
    context = {
        "invitation": invitation,
        "inviter": invitation.invited_by.display_name if invitation.invited_by else "A teammate",
        "link": invitation_link(invitation.id),
        "days": settings.INVITATION_DAYS,
    }
    return EmailContent(
        recipient=invitation.email,
        subject=f"You're invited to join {invitation.team.name} on GenFans",
        body=render_to_string("teams/email/invitation.txt", context),
    )
