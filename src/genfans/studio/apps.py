from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "genfans.studio"
    label = "studio"
