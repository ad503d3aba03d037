from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "genfans.accounts"
    label = "accounts"
