from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "genfans.core"
    label = "core"
