"""Verifying fal webhooks: Ed25519 over `request_id\\nuser_id\\ntimestamp\\nsha256(body)`.

fal's public keys come from its JWKS, cached per process. Anyone can post a webhook, so what
a request says never causes outbound work: the key set is refreshed at most once every
`JWKS_REFRESH_SECONDS` (a failed fetch waits as long), by one thread at a time, with a short
timeout, and a signature no cached key verifies is simply rejected. A rotated key is picked up
by the next refresh; until then fal retries, and the job is polled anyway.
"""

import base64
import hashlib
import logging
import threading
import time

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings

from genfans.providers.errors import WebhookRejected

logger = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300
JWKS_REFRESH_SECONDS = 60
JWKS_TIMEOUT = httpx.Timeout(3.0)


def _fetch_jwks(url: str) -> list[str]:
    response = httpx.get(url, timeout=JWKS_TIMEOUT)
    response.raise_for_status()
    return [k["x"] for k in response.json().get("keys", []) if k.get("crv") == "Ed25519"]


class JwksCache:
    def __init__(self):
        self._lock = threading.Lock()
        self._keys: list[str] = []
        self._attempted_at: float | None = None

    def _due(self) -> bool:
        return (
            self._attempted_at is None
            or time.monotonic() - self._attempted_at >= JWKS_REFRESH_SECONDS
        )

    def keys(self) -> list[str]:
        # Non-blocking: while one thread fetches, the others answer from what is cached
        # instead of queueing behind a slow key server.
        if self._due() and self._lock.acquire(blocking=False):
            try:
                if self._due():
                    self._attempted_at = time.monotonic()
                    self._refresh()
            finally:
                self._lock.release()
        return self._keys

    def _refresh(self) -> None:
        try:
            self._keys = _fetch_jwks(settings.FAL_JWKS_URL)
        except (httpx.HTTPError, ValueError, KeyError, AttributeError) as exc:
            logger.warning("cannot load fal's public keys, keeping %d: %s", len(self._keys), exc)

    def clear(self) -> None:
        with self._lock:
            self._keys, self._attempted_at = [], None


jwks_cache = JwksCache()


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
    keys = jwks_cache.keys()
    if not keys:
        raise WebhookRejected("fal's public keys are not loaded")
    if not _verifies(keys, signature, message):
        raise WebhookRejected("fal webhook signature does not verify")
