from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "genfans.providers"
    label = "providers"
