from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "genfans.emails"
    label = "emails"
    verbose_name = "Emails"
