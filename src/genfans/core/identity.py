"""Who a person is: an email address as we store it, and the key trials and the Free grant are
counted by across accounts.

An account can be deleted and its email signed up again, and `ann+2@example.com` reaches the
same inbox as `ann@example.com`; both map to one key. Only a hash is kept, so the key says
nothing about the address."""

import hashlib

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from genfans.core.errors import InvalidEmail


def email_normalize(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise InvalidEmail(field="email") from exc
    return email


def email_canonical(email: str) -> str:
    local, _, domain = (email or "").strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    return f"{local}@{domain}"


def person_key(email: str) -> str:
    digest = hashlib.sha256(email_canonical(email).encode()).hexdigest()[:40]
    return f"person:{digest}"
