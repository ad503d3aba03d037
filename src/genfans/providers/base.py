"""The provider boundary: one small protocol, frozen data in and out, one error type.

The studio never imports a vendor SDK; it speaks only these types. Every adapter sets an
explicit timeout on each call and never retries a paid submit by itself: the job engine owns
the retry policy. Each adapter says what it can do (`capabilities`, from the vendor's
published reference), and the engine never asks for more.
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


@dataclass(frozen=True)
class Capability:
    """What one provider can do for one operation, as its API reference states it. A limit left
    at its default means the reference sets none that we rely on."""

    # Images one request may ask for; more are split into several requests of one job.
    max_images: int | None = None
    # Whether it can apply a custom model's trained weights (LoRA) to a generation.
    custom_weights: bool = False
    # The video lengths (seconds) it delivers; a request for another length is refused.
    video_seconds: tuple[int, ...] = ()


class ProviderError(Exception):
    """A provider call failed. `retryable` says whether trying again later may succeed; for a
    submit it also says the request certainly did not start (code `provider_outcome_unknown`
    marks one that may have: it is never sent again)."""

    def __init__(self, message: str, *, retryable: bool, code: str = "provider_error") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


OUTCOME_UNKNOWN = "provider_outcome_unknown"


class Provider(Protocol):
    name: str
    # Providers that call back; the others are only polled.
    sends_webhooks: bool
    # The operations it runs (job types), and their limits.
    capabilities: dict[str, Capability]

    def submit(self, request: ProviderRequest) -> str:
        """Start the work; returns the provider's request id."""

    def status(self, *, endpoint: str, request_id: str) -> ProviderStatus:
        """Where the request stands; a completed status carries its outputs."""

    def cancel(self, *, endpoint: str, request_id: str) -> bool:
        """Stop the request: True when the provider stopped it (it will not bill for it), False
        when it has started and can no longer be stopped."""

    def download(self, output: ProviderOutput) -> bytes:
        """The bytes behind an output's (temporary) URL."""
