"""What each kind of email says. The app that owns the subject names its renderers on its
AppConfig (`email_renderers`: a kind's value and the dotted path of its renderer, as
`seeders` are named for `genfans seed`); this app only knows how to deliver."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.utils.module_loading import import_string

from genfans.emails.models import EmailDelivery, EmailKind


@dataclass(frozen=True)
class EmailContent:
    recipient: str
    subject: str
    body: str


# A renderer answers None when the email is no longer needed (nothing is sent then).
Renderer = Callable[[EmailDelivery], EmailContent | None]


@cache
def _renderers() -> dict[str, Renderer]:
    renderers: dict[str, Renderer] = {}
    for config in apps.get_app_configs():
        for kind, path in getattr(config, "email_renderers", {}).items():
            if kind not in EmailKind.values or kind in renderers:
                raise ValueError(f"{config.label} renders {kind!r}: not a kind, or one taken")
            renderers[kind] = import_string(path)
    return renderers


def email_render(delivery: EmailDelivery) -> EmailContent | None:
    return _renderers()[delivery.kind](delivery)


def email_kinds_unrendered() -> list[str]:
    return [kind for kind in EmailKind.values if kind not in _renderers()]
