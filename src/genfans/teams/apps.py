from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "genfans.teams"
    label = "teams"
