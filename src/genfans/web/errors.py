"""Pages turn the same domain errors the API maps to statuses into form and page messages."""

from django import forms

from genfans.core.errors import DomainError, RateLimited


def add_form_error(form: forms.Form, error: DomainError) -> None:
    field = error.details.get("field")
    form.add_error(field if field in form.fields else None, error.message)


def retry_after_set(response, error: DomainError | None) -> None:
    """`Retry-After` on a rate-limited answer that knows its wait, as the API sends it."""
    if isinstance(error, RateLimited) and "retry_after" in error.details:
        response["Retry-After"] = str(error.details["retry_after"])
