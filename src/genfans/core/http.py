def client_ip(request) -> str | None:
    """The caller's address. Behind a proxy, set the proxy to overwrite X-Forwarded-For."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR") or None
