from genfans.core.errors import Conflict, ValidationError


class WebhookRejected(ValidationError):
    code = "webhook_rejected"
    default_message = "The webhook could not be verified."


class OperationUnavailable(Conflict):
    code = "operation_unavailable"
    default_message = (
        "No configured provider can run this request (the operation, a custom model's "
        "weights or this video length)."
    )
