"""Who is calling: the peer's address, or, from a trusted proxy, the address it saw."""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _address(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    return getattr(address, "ipv4_mapped", None) or address


def _is_trusted(address) -> bool:
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def is_trusted_proxy(remote_addr: str | None) -> bool:
    address = _address(remote_addr)
    return address is not None and _is_trusted(address)


def client_ip(request) -> str | None:
    """The caller's address. X-Forwarded-For is read only when the peer is one of
    TRUSTED_PROXIES, and then from the right: each proxy appends the address it received from,
    so the hops our proxies wrote are true and the first address from the right that is not
    one of them is the client. Anything further left was written by the client."""
    peer = request.META.get("REMOTE_ADDR") or None
    if not is_trusted_proxy(peer):
        return peer
    client = str(_address(peer))
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(hop)
        if address is None:
            break
        client = str(address)
        if not _is_trusted(address):
            break
    return client
