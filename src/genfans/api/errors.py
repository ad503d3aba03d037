"""The single place where domain error codes become HTTP statuses."""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from genfans.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationError,
)

STATUS_BY_CLASS: list[tuple[type[DomainError], int]] = [
    (NotFound, 404),
    (PermissionDenied, 403),
    (Conflict, 409),
    (RateLimited, 429),
    (ValidationError, 400),
]
STATUS_BY_CODE: dict[str, int] = {
    "invalid_credentials": 401,
    # The password was right but the session is not started until the code step.
    "two_factor_required": 401,
    "insufficient_credits": 402,
    "spend_limit_reached": 402,
    "too_many_queued_jobs": 429,
    "file_too_large": 413,
    "photo_too_small": 422,
    "unsupported_media_type": 415,
    "stripe_unavailable": 502,
}


def status_for(error: DomainError) -> int:
    if error.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[error.code]
    for cls, status in STATUS_BY_CLASS:
        if isinstance(error, cls):
            return status
    return 400


def error_body(code: str, message: str, **details) -> dict:
    body = {"code": code, "message": message}
    if details:
        body["details"] = details
    return {"error": body}


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        response = api.create_response(
            request, error_body(exc.code, exc.message, **exc.details), status=status_for(exc)
        )
        if isinstance(exc, RateLimited) and "retry_after" in exc.details:
            response["Retry-After"] = str(exc.details["retry_after"])
        return response

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        fields = [
            {"field": ".".join(str(p) for p in e.get("loc", [])[1:]), "message": e.get("msg")}
            for e in exc.errors
        ]
        message = "; ".join(f"{f['field'] or 'body'}: {f['message']}" for f in fields)
        return api.create_response(
            request,
            error_body("validation_error", message or "Invalid request.", fields=fields),
            status=400,
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return api.create_response(
            request,
            error_body("unauthenticated", "Sign in or send a valid API key."),
            status=401,
        )

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(request, error_body("not_found", "Not found."), status=404)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return api.create_response(
            request, error_body("http_error", str(exc)), status=exc.status_code
        )
