"""Response headers Django has no setting for, and the input rule every request meets."""

import json
import re

from django.http import HttpResponseBadRequest, JsonResponse

from genfans.core.http import is_trusted_proxy

# Nothing on our pages uses these; denying them also denies any script or frame that sneaks in.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


class TrustedProxyMiddleware:
    """X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER) is believed only from TRUSTED_PROXIES: from
    anyone else it is dropped before Django reads it, so a client cannot claim https."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


# NUL and the other C0 control characters, and DEL; tab, newline and carriage return are text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MESSAGE = "Text may not contain control characters such as NUL."
# Signed callbacks are verified byte for byte and stored as the sender wrote them.
UNCHECKED_PATHS = ("/api/stripe/webhook", "/api/webhooks/")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _request_text(request):
    """Every piece of text the request carries: the path, the query, form fields (not the
    files) and the strings of a JSON body."""
    yield request.path
    for key, values in request.GET.lists():
        yield key
        yield from values
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    if request.content_type == "application/json":
        try:
            yield from _strings(json.loads(request.body or b"null"))
        except ValueError:
            return  # the view answers what is not JSON
    elif request.content_type == "application/x-www-form-urlencoded" or (
        # The API's JSON endpoints read the raw body, which parsing a multipart form consumes;
        # its one multipart endpoint (uploads) takes a file and no text.
        request.content_type == "multipart/form-data" and not request.path.startswith("/api/")
    ):
        for key, values in request.POST.lists():
            yield key
            yield from values
        for upload in request.FILES.values():
            yield upload.name or ""


class ControlCharacterMiddleware:
    """One input rule for all text: NUL and other control characters are refused with
    `400 invalid_text` before any view (PostgreSQL cannot store NUL, and no text needs them)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(UNCHECKED_PATHS) and any(
            CONTROL_CHARACTERS.search(text) for text in _request_text(request)
        ):
            if not request.path.startswith("/api/"):
                return HttpResponseBadRequest(MESSAGE, content_type="text/plain")
            return JsonResponse({"error": {"code": "invalid_text", "message": MESSAGE}}, status=400)
        return self.get_response(request)
