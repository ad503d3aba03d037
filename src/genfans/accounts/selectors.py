import time

from django.conf import settings
from django.core.cache import caches

from genfans.accounts.models import ApiKey
from genfans.core.errors import NotFound
from genfans.core.ids import uuid_or_none


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"
    default_message = "No such API key in this team."


def api_key_list_for_team(*, team):
    return ApiKey.objects.filter(team=team).select_related("created_by").order_by("-created_at")


def api_key_get_for_team(*, team, api_key_id) -> ApiKey:
    key = ApiKey.objects.filter(team=team, pk=uuid_or_none(api_key_id)).first()
    if key is None:
        raise ApiKeyNotFound()
    return key


def api_key_get_active(*, raw: str) -> ApiKey | None:
    """The unrevoked key `raw` with its team, or None. Kept per process for
    API_KEY_CACHE_SECONDS (the cache pickles, so every request gets its own copy)."""
    digest = ApiKey.hash_key(raw)
    key = caches["api_keys"].get(digest)
    if key is None:
        try:
            key = ApiKey.objects.select_related("team").get(hash=digest, revoked_at__isnull=True)
        except ApiKey.DoesNotExist:
            return None
        key.cached_until = time.time() + settings.API_KEY_CACHE_SECONDS
        api_key_remember(key)
    return key


def api_key_remember(key: ApiKey) -> None:
    """Keep `key` until API_KEY_CACHE_SECONDS after it was read from the database, however often
    its copy is refreshed (last_used_at): that bounds how long another process may still accept
    it once revoked."""
    timeout = key.cached_until - time.time()
    if timeout > 0:
        caches["api_keys"].set(key.hash, key, timeout=timeout)


def api_key_forget(key: ApiKey) -> None:
    """Drop `key` from this process's cache (the others drop it within API_KEY_CACHE_SECONDS)."""
    caches["api_keys"].delete(key.hash)
