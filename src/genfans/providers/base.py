"""The provider boundary: one small protocol, frozen data in and out, one error type.

The studio never imports a vendor SDK; it speaks only these types. Every adapter sets an
explicit timeout on each call and never retries a paid submit by itself: the job engine owns
the retry policy.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class ProviderState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"


@dataclass(frozen=True)
class ProviderRequest:
    operation: str
    endpoint: str
    input: dict[str, Any]
    webhook_url: str


@dataclass(frozen=True)
class ProviderOutput:
    url: str
    content_type: str
    kind: str = "image"
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    seed: int | None = None
    nsfw: bool = False


@dataclass(frozen=True)
class ProviderStatus:
    state: ProviderState
    progress: int = 0
    outputs: tuple[ProviderOutput, ...] = ()
    artefacts: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def is_final(self) -> bool:
        return self.state in (ProviderState.COMPLETED, ProviderState.FAILED, ProviderState.CANCELED)


class ProviderError(Exception):
    """A provider call failed. `retryable` says whether trying again later may succeed."""

    def __init__(self, message: str, *, retryable: bool, code: str = "provider_error") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


class Provider(Protocol):
    name: str
    # Providers that call back; the others are only polled.
    sends_webhooks: bool

    def submit(self, request: ProviderRequest) -> str:
        """Start the work; returns the provider's request id."""

    def status(self, *, endpoint: str, request_id: str) -> ProviderStatus:
        """Where the request stands; a completed status carries its outputs."""

    def cancel(self, *, endpoint: str, request_id: str) -> None: ...

    def download(self, output: ProviderOutput) -> bytes:
        """The bytes behind an output's (temporary) URL."""
