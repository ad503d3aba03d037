"""Emails of the teams app, sent by the task worker after the inviting transaction commits."""

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string

from genfans.teams.models import Invitation


def invitation_link(invitation_id) -> str:
    return f"{settings.BASE_URL}/invite/{invitation_id}"


@task
def invitation_email_send(invitation_id: str) -> bool:
    invitation = Invitation.objects.select_related("team", "invited_by").get(pk=invitation_id)
    if not invitation.is_open:
        return False
    context = {
        "invitation": invitation,
        "inviter": invitation.invited_by.display_name if invitation.invited_by else "A teammate",
        "link": invitation_link(invitation.id),
        "days": settings.INVITATION_DAYS,
    }
    send_mail(
        subject=f"You're invited to join {invitation.team.name} on GenFans",
        message=render_to_string("teams/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )
    return True
