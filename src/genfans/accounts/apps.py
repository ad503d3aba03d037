from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "genfans.accounts"
    label = "accounts"
    # What the emails this app sends say (see genfans.emails.kinds).
    email_renderers = {
        "password_reset": "genfans.accounts.emails.password_reset_render",
        "email_verification": "genfans.accounts.emails.email_verification_render",
    }
