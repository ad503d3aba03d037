"""Which provider and endpoint serve an operation: configuration, overridable per operation."""

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from genfans.providers.base import Provider

FACTORIES = {
    "sandbox": "genfans.providers.sandbox.provider_from_settings",
    "fal": "genfans.providers.fal.provider_from_settings",
    "higgsfield": "genfans.providers.higgsfield.provider_from_settings",
}


def provider_name_for(operation: str) -> str:
    return settings.PROVIDER_BY_OPERATION.get(operation) or settings.GENFANS_PROVIDER


def endpoint_for(provider_name: str, operation: str) -> str:
    return settings.PROVIDER_ENDPOINTS.get(provider_name, {}).get(operation, operation)


@cache
def provider_get(name: str) -> Provider:
    """One adapter per provider and process, so its HTTP connections are pooled and reused."""
    try:
        factory = FACTORIES[name]
    except KeyError as exc:
        raise LookupError(f"unknown provider {name!r}") from exc
    return import_string(factory)()


@receiver(setting_changed)
def _settings_changed(**kwargs) -> None:
    # Adapters read their keys and addresses once; changed settings (tests) need new ones.
    provider_get.cache_clear()
