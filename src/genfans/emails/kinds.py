"""What each kind of email says. The app that owns the subject registers its renderer in its
`AppConfig.ready()`; this app only knows how to deliver."""

from collections.abc import Callable
from dataclasses import dataclass

from genfans.emails.models import EmailDelivery, EmailKind


@dataclass(frozen=True)
class EmailContent:
    recipient: str
    subject: str
    body: str


# A renderer answers None when the email is no longer needed (nothing is sent then).
Renderer = Callable[[EmailDelivery], EmailContent | None]

_renderers: dict[str, Renderer] = {}


def email_kind_register(kind: EmailKind, renderer: Renderer) -> None:
    if _renderers.get(kind) not in (None, renderer):
        raise ValueError(f"a renderer for {kind} is registered already")
    _renderers[kind] = renderer


def email_render(delivery: EmailDelivery) -> EmailContent | None:
    return _renderers[delivery.kind](delivery)


def email_kinds_unrendered() -> list[str]:
    return [kind for kind in EmailKind.values if kind not in _renderers]
