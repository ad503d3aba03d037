"""HTTP plumbing shared by the REST adapters: explicit timeouts and one error mapping."""

from typing import Any

import httpx

from genfans.providers.base import OUTCOME_UNKNOWN, ProviderError

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DOWNLOAD_TIMEOUT = httpx.Timeout(120.0, connect=5.0)
# Bigger downloads than this are refused rather than held in a worker's memory.
MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024


def _retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


def request_json(
    client: httpx.Client, method: str, url: str, *, what: str, **kwargs: Any
) -> dict[str, Any]:
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ProviderError(f"{what}: timed out", retryable=True, code="provider_timeout") from exc
    except httpx.TransportError as exc:
        raise ProviderError(f"{what}: {exc}", retryable=True, code="provider_unreachable") from exc
    return _json_or_error(response, what=what)


def _json_or_error(response: httpx.Response, *, what: str) -> dict[str, Any]:
    if response.status_code >= 400:
        raise ProviderError(
            f"{what}: HTTP {response.status_code} {response.text[:300]}",
            retryable=_retryable_status(response.status_code),
            code="provider_http_error",
        )
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderError(f"{what}: invalid JSON", retryable=True) from exc


# A submit that failed before anything was sent (no connection) certainly did not start, nor
# did one the provider itself refused (any 4xx or 5xx it answered). One whose answer was lost
# (a read timed out, the connection dropped) or that a gateway gave up on may have started.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_GATEWAY_GAVE_UP = {502, 504}


def submit(client: httpx.Client, url: str, *, params: dict, body: dict, what: str) -> str:
    """POST a request to a provider queue; returns the provider's request id. A failure after
    which the request may have started is ProviderError(code=OUTCOME_UNKNOWN): the job engine
    never sends such a submit again."""
    try:
        response = client.post(url, params=params, json=body)
    except _NOT_SENT as exc:
        raise ProviderError(f"{what}: {exc}", retryable=True, code="provider_unreachable") from exc
    except httpx.TransportError as exc:
        raise ProviderError(f"{what}: {exc!r}", retryable=False, code=OUTCOME_UNKNOWN) from exc
    if response.status_code in _GATEWAY_GAVE_UP:
        raise ProviderError(
            f"{what}: HTTP {response.status_code}", retryable=False, code=OUTCOME_UNKNOWN
        )
    answer = _json_or_error(response, what=what)
    request_id = answer.get("request_id")
    if not request_id:
        raise ProviderError(f"{what}: no request_id in the answer", retryable=False)
    return request_id


def download(client: httpx.Client, url: str) -> bytes:
    try:
        with client.stream("GET", url, timeout=DOWNLOAD_TIMEOUT) as response:
            if response.status_code >= 400:
                raise ProviderError(
                    f"download {url}: HTTP {response.status_code}",
                    retryable=_retryable_status(response.status_code),
                    code="download_failed",
                )
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:
                    raise ProviderError(
                        f"download {url}: larger than {MAX_DOWNLOAD_BYTES} bytes",
                        retryable=False,
                        code="download_too_large",
                    )
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.TimeoutException as exc:
        raise ProviderError(f"download {url}: timed out", retryable=True) from exc
    except httpx.TransportError as exc:
        raise ProviderError(f"download {url}: {exc}", retryable=True) from exc
