"""Which provider and endpoint serve an operation: configuration, overridable per operation,
and each provider's capabilities.

The route of an operation is the provider configured for it (`GENFANS_PROVIDER_<JOB TYPE>`,
else `GENFANS_PROVIDER`) when that provider can run it as asked, else the next provider with
keys that can. The sandbox is the default only while no real provider has keys: it never
stands in for a real one. With no provider able to, the job is refused before anything is
reserved (`OperationUnavailable`).
"""

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from genfans.providers.base import Capability, Provider
from genfans.providers.errors import OperationUnavailable

FACTORIES = {
    "sandbox": "genfans.providers.sandbox.provider_from_settings",
    "fal": "genfans.providers.fal.provider_from_settings",
    "higgsfield": "genfans.providers.higgsfield.provider_from_settings",
}


@dataclass(frozen=True)
class Needs:
    """What a job asks of its provider beyond the operation itself."""

    custom_weights: bool = False
    video_seconds: int | None = None

    def met_by(self, capability: Capability) -> bool:
        if self.custom_weights and not capability.custom_weights:
            return False
        lengths = capability.video_seconds
        return self.video_seconds is None or not lengths or self.video_seconds in lengths


def providers_with_keys() -> list[str]:
    keyed = {"fal": settings.FAL_KEY, "higgsfield": settings.HIGGSFIELD_API_KEY}
    return [name for name, key in keyed.items() if key]


def _candidates(operation: str) -> list[str]:
    configured = [settings.PROVIDER_BY_OPERATION.get(operation), settings.GENFANS_PROVIDER]
    return list(dict.fromkeys(name for name in [*configured, *providers_with_keys()] if name))


def provider_route(operation: str, needs: Needs = Needs()) -> str:
    """The provider `operation` goes to, for a job that `needs` what it says."""
    for name in _candidates(operation):
        capability = provider_get(name).capabilities.get(operation)
        if capability is not None and needs.met_by(capability):
            return name
    raise OperationUnavailable(operation=operation)


def routing_table(operations) -> dict[str, str]:
    """Each operation's provider for a plain request (what `genfans run`, `serve` and `worker`
    log at start)."""
    table = {}
    for operation in operations:
        try:
            table[operation] = provider_route(operation)
        except OperationUnavailable:
            table[operation] = "unavailable"
    return table


def capability_for(provider_name: str, operation: str) -> Capability:
    return provider_get(provider_name).capabilities[operation]


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
