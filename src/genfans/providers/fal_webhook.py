"""Verifying fal webhooks: Ed25519 over `request_id\\nuser_id\\ntimestamp\\nsha256(body)`.

The public keys come from fal's JWKS, cached; a signature no cached key verifies triggers
one refetch (fal rotates keys), after which it is rejected.
"""

import base64
import hashlib
import time

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.core.cache import cache

from genfans.providers import http
from genfans.providers.errors import WebhookRejected

TOLERANCE_SECONDS = 300
JWKS_CACHE_KEY = "fal-jwks"
JWKS_CACHE_SECONDS = 24 * 60 * 60


def _fetch_jwks() -> list[str]:
    try:
        response = httpx.get(settings.FAL_JWKS_URL, timeout=http.TIMEOUT)
        response.raise_for_status()
        keys = [k["x"] for k in response.json().get("keys", []) if k.get("crv") == "Ed25519"]
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise WebhookRejected(f"cannot load fal's public keys: {exc}") from exc
    cache.set(JWKS_CACHE_KEY, keys, JWKS_CACHE_SECONDS)
    return keys


def _public_key(x: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))


def _verifies(keys: list[str], signature: bytes, message: bytes) -> bool:
    for x in keys:
        try:
            _public_key(x).verify(signature, message)
            return True
        except (InvalidSignature, ValueError):
            continue
    return False


def fal_webhook_verify(*, headers, body: bytes, now: float | None = None) -> None:
    request_id = headers.get("X-Fal-Webhook-Request-Id", "")
    user_id = headers.get("X-Fal-Webhook-User-Id", "")
    timestamp = headers.get("X-Fal-Webhook-Timestamp", "")
    signature_hex = headers.get("X-Fal-Webhook-Signature", "")
    if not (request_id and user_id and timestamp and signature_hex):
        raise WebhookRejected("missing fal webhook headers")
    try:
        sent_at = int(timestamp)
        signature = bytes.fromhex(signature_hex)
    except ValueError as exc:
        raise WebhookRejected("malformed fal webhook headers") from exc
    if abs((now or time.time()) - sent_at) > TOLERANCE_SECONDS:
        raise WebhookRejected("fal webhook timestamp outside the tolerance")
    message = "\n".join([request_id, user_id, timestamp, hashlib.sha256(body).hexdigest()]).encode()
    cached = cache.get(JWKS_CACHE_KEY)
    if cached and _verifies(cached, signature, message):
        return
    if not _verifies(_fetch_jwks(), signature, message):
        raise WebhookRejected("fal webhook signature does not verify")
