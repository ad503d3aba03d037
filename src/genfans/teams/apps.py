from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "genfans.teams"
    label = "teams"

    def ready(self) -> None:
        from genfans.emails.kinds import email_kind_register
        from genfans.emails.models import EmailKind
        from genfans.teams.emails import invitation_render

        email_kind_register(EmailKind.INVITATION, invitation_render)
