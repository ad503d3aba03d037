from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "genfans.web"
    label = "web"
