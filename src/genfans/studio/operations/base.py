"""What every operation declares, and the checks its modules share.

An operation is one job type's knowledge, kept out of the job engine: `prepare` validates a
request into the params stored on the job and the figures the calculator prices;
`provider_input` turns a job into a provider request body (fal's shape, which the sandbox
shares; Higgsfield's own). The optional steps run at fixed points of the engine:

- `stage` (before the submit's transaction) writes the files the submit records;
- `measure` (before the finish's transaction) reads off an output's bytes what the provider
  did not report;
- `on_submitted`, `on_succeeded`, `on_failed` run inside the engine's transactions and do no
  storage or provider I/O: what they record was staged or measured beforehand;
- `delivered_pricing` prices what was delivered rather than what was asked for;
- `needs` says what the job asks of a provider beyond the operation (a custom model's
  weights, a video length), so it goes only where it can run;
- `parts` says into how many provider requests the job is split when it asks for more than
  one request may (`Capability.max_images`); `provider_input` then reads `job.part`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from genfans.credits.calculator import QUALITIES
from genfans.providers.base import Capability
from genfans.providers.registry import Needs
from genfans.studio.errors import InvalidJobParams

MAX_PROMPT = 2000
# Remote providers fetch inputs from signed links, possibly after a wait in their queue.
INPUT_URL_SECONDS = 6 * 60 * 60


@dataclass(frozen=True)
class Prepared:
    params: dict[str, Any]
    pricing: dict[str, Any]


@dataclass(frozen=True)
class Operation:
    prepare: Callable[..., Prepared]
    provider_input: Callable[..., dict[str, Any]]
    stage: Callable[..., dict[str, Any]] | None = None
    measure: Callable[..., Any] | None = None
    on_submitted: Callable[..., None] | None = None
    on_succeeded: Callable[..., None] | None = None
    on_failed: Callable[..., None] | None = None
    delivered_pricing: Callable[..., dict[str, Any]] | None = None
    needs: Callable[[dict[str, Any]], Needs] | None = None
    parts: Callable[[dict[str, Any], Capability], int] | None = None


def part_share(total: int, *, parts: int, part: int) -> int:
    """How many of `total` items part `part` of `parts` asks for: even shares, the last one
    taking what is left (10 in 3 parts: 4, 4, 2)."""
    per = -(-total // parts)
    return max(0, min(per, total - part * per))


def whole_number(raw: dict, name: str, default: int | None = None) -> int:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidJobParams(f"{name} must be a whole number.", field=name)
    return value


def quality_require(quality: Any) -> str:
    if quality not in QUALITIES:
        raise InvalidJobParams(f"quality must be one of {', '.join(QUALITIES)}.", field="quality")
    return quality
