"""Pages turn the same domain errors the API maps to statuses into form and page messages."""

from django import forms

from genfans.core.errors import DomainError


def add_form_error(form: forms.Form, error: DomainError) -> None:
    field = error.details.get("field")
    form.add_error(field if field in form.fields else None, error.message)
