from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "genfans.accounts"
    label = "accounts"

    def ready(self) -> None:
        from genfans.accounts.emails import email_verification_render, password_reset_render
        from genfans.emails.kinds import email_kind_register
        from genfans.emails.models import EmailKind

        email_kind_register(EmailKind.PASSWORD_RESET, password_reset_render)
        email_kind_register(EmailKind.EMAIL_VERIFICATION, email_verification_render)
