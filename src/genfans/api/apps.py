from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "genfans.api"
    label = "api"
