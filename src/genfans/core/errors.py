"""The domain error base. Each error has a stable code; `api/` maps codes to HTTP statuses."""

from typing import Any


class DomainError(Exception):
    code = "error"
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)


class NotFound(DomainError):
    code = "not_found"
    default_message = "Not found."


class PermissionDenied(DomainError):
    code = "forbidden"
    default_message = "You do not have permission to do that."


class ValidationError(DomainError):
    code = "validation_error"
    default_message = "The request is not valid."


class InvalidEmail(ValidationError):
    code = "invalid_email"
    default_message = "Enter a valid email address."


class Conflict(DomainError):
    code = "conflict"
    default_message = "The request conflicts with the current state."


class RateLimited(DomainError):
    code = "rate_limited"
    default_message = "Too many requests. Try again later."


class InvalidText(ValidationError):
    code = "invalid_text"
    default_message = "This must be a single line of text."
