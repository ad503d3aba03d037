from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "genfans.teams"
    label = "teams"
    # What the emails this app sends say (see genfans.emails.kinds).
    email_renderers = {"invitation": "genfans.teams.emails.invitation_render"}
