"""The operations the job engine runs, one module each, listed in `OPERATIONS`.

Adding an operation is one new module declaring an `OPERATION` (see `base.Operation`) and one
line below; the engine (`studio.engine`) calls only the functions of this module.
"""

from typing import Any

from genfans.billing import entitlements
from genfans.providers.base import Capability
from genfans.providers.registry import Needs
from genfans.storage.services import StoredFile
from genfans.studio.models import JobType
from genfans.studio.operations import (
    face_swap,
    image,
    model_creation,
    model_refinement,
    video,
)
from genfans.studio.operations.base import Operation, Prepared

OPERATIONS: dict[str, Operation] = {
    JobType.IMAGE_GENERATION: image.OPERATION,
    JobType.MODEL_CREATION: model_creation.OPERATION,
    JobType.MODEL_REFINEMENT: model_refinement.OPERATION,
    JobType.VIDEO_GENERATION: video.OPERATION,
    JobType.FACE_SWAP: face_swap.OPERATION,
}


def prepare(*, job_type: str, plan, team, raw: dict[str, Any]) -> Prepared:
    """Check the plan may run `job_type` (before anything is read or reserved), then validate."""
    entitlements.operation_require(plan=plan, operation=job_type)
    return OPERATIONS[job_type].prepare(plan=plan, team=team, raw=raw)


def provider_input(job, *, provider_name: str) -> dict[str, Any]:
    return OPERATIONS[job.type].provider_input(job, provider_name=provider_name)


def stages_files(job_type: str) -> bool:
    """Whether a submit of `job_type` writes files before its transaction."""
    return OPERATIONS[job_type].stage is not None


def stage(*, job_type: str, team, prepared: Prepared) -> dict[str, Any]:
    """Files the submit will record, written before its transaction ({} for most types)."""
    staging = OPERATIONS[job_type].stage
    return staging(team=team, prepared=prepared) if staging else {}


def staged_files(staged: dict[str, Any]) -> list[StoredFile]:
    """The files in `staged`, to delete when the submit that was to record them does not."""
    return [value for value in staged.values() if isinstance(value, StoredFile)]


def measure(job, output, content: bytes):
    """`output` with what its bytes say and the provider did not (storage is not touched)."""
    measuring = OPERATIONS[job.type].measure
    return measuring(job, output, content) if measuring else output


def delivered_pricing(job, *, assets) -> dict[str, Any]:
    """The calculator's figures for what was actually delivered (`assets`, just recorded)."""
    pricing = OPERATIONS[job.type].delivered_pricing
    if pricing is None:
        return dict(job.params.get("pricing", {}))
    return pricing(job, assets=assets)


def needs(job_type: str, params: dict[str, Any]) -> Needs:
    """What a job of these (prepared) params asks of its provider."""
    asking = OPERATIONS[job_type].needs
    return asking(params) if asking else Needs()


def parts(job_type: str, params: dict[str, Any], capability: Capability) -> int:
    """Into how many provider requests the job is split."""
    splitting = OPERATIONS[job_type].parts
    return splitting(params, capability) if splitting else 1


def on_submitted(job, *, staged: dict[str, Any]) -> None:
    hook = OPERATIONS[job.type].on_submitted
    if hook is not None:
        hook(job, staged=staged)


def on_succeeded(job, *, assets, artefacts) -> None:
    hook = OPERATIONS[job.type].on_succeeded
    if hook is not None:
        hook(job, assets=assets, artefacts=artefacts)


def on_failed(job) -> None:
    hook = OPERATIONS[job.type].on_failed
    if hook is not None:
        hook(job)
