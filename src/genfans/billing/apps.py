from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "genfans.billing"
    label = "billing"
