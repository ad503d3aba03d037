from genfans.core.errors import ValidationError


class WebhookRejected(ValidationError):
    code = "webhook_rejected"
    default_message = "The webhook could not be verified."
