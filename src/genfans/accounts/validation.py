from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError

from genfans.accounts.errors import InvalidName, WeakPassword
from genfans.core.text import text_line


def name_clean(name: str) -> str:
    name = text_line(name, field="name")
    if len(name) > 150:
        raise InvalidName(field="name")
    return name


def password_check_strength(password: str, *, user=None, field: str = "password") -> None:
    try:
        validate_password(password or "", user=user)
    except DjangoValidationError as exc:
        raise WeakPassword(" ".join(exc.messages), field=field) from exc
