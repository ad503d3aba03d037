"""HTTP plumbing shared by the REST adapters: explicit timeouts and one error mapping."""

from typing import Any

import httpx

from genfans.providers.base import ProviderError

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


def submit(client: httpx.Client, url: str, *, params: dict, body: dict, what: str) -> str:
    """POST a request to a provider queue; returns the provider's request id."""
    answer = request_json(client, "POST", url, params=params, json=body, what=what)
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
