"""HTTP plumbing shared by the REST adapters: explicit timeouts and one error mapping, and the
credential-free client that downloads their outputs."""

import ipaddress
import socket
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx
from django.conf import settings

from genfans.providers.base import OUTCOME_UNKNOWN, ProviderError

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DOWNLOAD_TIMEOUT = httpx.Timeout(120.0, connect=5.0)
# Bigger downloads than this are refused rather than held in a worker's memory.
MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024


def _retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


def _send(client: httpx.Client, method: str, url: str, *, what: str, **kwargs: Any):
    try:
        return client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ProviderError(f"{what}: timed out", retryable=True, code="provider_timeout") from exc
    except httpx.TransportError as exc:
        raise ProviderError(f"{what}: {exc}", retryable=True, code="provider_unreachable") from exc


def _http_error(response: httpx.Response, *, what: str) -> ProviderError:
    return ProviderError(
        f"{what}: HTTP {response.status_code} {response.text[:300]}",
        retryable=_retryable_status(response.status_code),
        code="provider_http_error",
    )


def request_json(
    client: httpx.Client, method: str, url: str, *, what: str, **kwargs: Any
) -> dict[str, Any]:
    return _json_or_error(_send(client, method, url, what=what, **kwargs), what=what)


def cancel(client: httpx.Client, method: str, url: str, *, what: str) -> bool:
    """Ask a provider queue to drop a request: True when it did (2xx), False when it answers
    400 because the request has started (fal and Higgsfield both). Any other answer says
    nothing about the request, so it is an error rather than a "could not stop it"."""
    response = _send(client, method, url, what=what)
    if response.status_code == 400:
        return False
    if response.status_code >= 300:
        raise _http_error(response, what=what)
    return True


def _json_or_error(response: httpx.Response, *, what: str) -> dict[str, Any]:
    if response.status_code >= 400:
        raise _http_error(response, what=what)
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


# Downloads fetch whatever address a provider's result names, so they use a client of their own:
# no provider credentials, no cookie jar (one host's cookie must not reach the next), no proxy or
# .netrc from the environment, and no redirects followed by httpx (each hop is checked below).
# Keep-alive is off: a pooled connection is keyed by address only, so it could carry a request
# for another host over a TLS session verified for the first one.
MAX_REDIRECTS = 3
_REDIRECTS = {301, 302, 303, 307, 308}
_download_client = httpx.Client(
    timeout=DOWNLOAD_TIMEOUT,
    follow_redirects=False,
    trust_env=False,
    cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
    limits=httpx.Limits(max_keepalive_connections=0),
)


def download(url: str) -> bytes:
    """GET an output file from the address a provider's result names, following at most
    MAX_REDIRECTS redirects, every hop checked by `_pin`. Only a 2xx answer is returned."""
    try:
        current = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise _refused(url, str(exc)) from exc
    for _ in range(MAX_REDIRECTS + 1):
        target, headers, extensions = _pin(current)
        try:
            with _download_client.stream(
                "GET", target, headers=headers, extensions=extensions
            ) as response:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    # httpx has already refused a Location that is not a URL.
                    current = current.join(response.headers["location"])
                    continue
                if not 200 <= response.status_code < 300:
                    raise ProviderError(
                        f"download {current}: HTTP {response.status_code}",
                        retryable=_retryable_status(response.status_code),
                        code="download_failed",
                    )
                return _read_capped(response, current)
        except httpx.TimeoutException as exc:
            raise ProviderError(f"download {current}: timed out", retryable=True) from exc
        except httpx.TransportError as exc:
            raise ProviderError(f"download {current}: {exc}", retryable=True) from exc
    raise ProviderError(
        f"download {url}: more than {MAX_REDIRECTS} redirects",
        retryable=False,
        code="too_many_redirects",
    )


def _read_capped(response: httpx.Response, url: httpx.URL) -> bytes:
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


def _pin(url: httpx.URL) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
    """The request to send for `url`: refused unless it is https to a host whose every address is
    public, or to a host in PROVIDER_DOWNLOAD_ALLOWED_HOSTS (which may also use http).

    A checked name could resolve again to another address when httpx connects (DNS rebinding),
    so the request goes to the address that was checked: the URL names the IP, the Host header
    the host, and `sni_hostname` makes TLS send and verify the certificate for the host. That
    keeps certificate checks intact without a custom transport or resolver."""
    if _allowlisted(url):
        if url.scheme not in ("http", "https"):
            raise _refused(url, "not http(s)")
        return url, {}, {}
    if url.scheme != "https":
        raise _refused(url, "not https")
    if not url.host:
        raise _refused(url, "no host")
    try:
        infos = socket.getaddrinfo(url.host, url.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ProviderError(
            f"download {url}: cannot resolve {url.host}: {exc}",
            retryable=True,
            code="download_failed",
        ) from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise _refused(url, "no address")
    for address in addresses:
        if not _is_public(address):
            raise _refused(url, f"{url.host} resolves to {address}")
    headers = {"Host": url.netloc.decode("ascii")}
    return url.copy_with(host=str(addresses[0])), headers, {"sni_hostname": url.host}


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    # An IPv6 form that carries an IPv4 address (::ffff:a.b.c.d, 6to4, Teredo) is judged by
    # the IPv4 address it reaches as well.
    embedded = []
    if isinstance(address, ipaddress.IPv6Address):
        embedded = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    for candidate in (address, *(a for a in embedded if a is not None)):
        if (
            not candidate.is_global
            or candidate.is_private
            or candidate.is_loopback
            or candidate.is_link_local
            or candidate.is_multicast
            or candidate.is_reserved
            or candidate.is_unspecified
        ):
            return False
    return True


def _allowlisted(url: httpx.URL) -> bool:
    """PROVIDER_DOWNLOAD_ALLOWED_HOSTS entries are `host` (any port) or `host:port`
    (`[::1]:8000` for an IPv6 address with a port)."""
    port = url.port or (443 if url.scheme == "https" else 80)
    for entry in settings.PROVIDER_DOWNLOAD_ALLOWED_HOSTS:
        allowed = httpx.URL(f"//{entry}") if entry.count(":") <= 1 or "[" in entry else None
        host = allowed.host if allowed is not None else entry
        if host.lower() == url.host.lower() and (allowed is None or allowed.port in (None, port)):
            return True
    return False


def _refused(url: httpx.URL | str, why: str) -> ProviderError:
    return ProviderError(f"download {url} refused: {why}", retryable=False, code="download_refused")
