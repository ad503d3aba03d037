"""Who a person is, across accounts: the key trials and the Free grant are counted by.

An account can be deleted and its email signed up again, and `ann+2@example.com` reaches the
same inbox as `ann@example.com`; both map to one key. Only a hash is kept, so the key says
nothing about the address."""

import hashlib


def email_canonical(email: str) -> str:
    local, _, domain = (email or "").strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    return f"{local}@{domain}"


def person_key(email: str) -> str:
    digest = hashlib.sha256(email_canonical(email).encode()).hexdigest()[:40]
    return f"person:{digest}"
