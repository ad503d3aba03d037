from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "genfans.credits"
    label = "credits"
