from uuid import UUID

from ninja import Header, Router, Schema, Status
from pydantic import Field

from genfans.api.jobs import JobOut, job_detail, job_out
from genfans.api.openapi import errors
from genfans.api.schemas import QUALITY_PATTERN, JobEnvelope
from genfans.api.security import api_auth
from genfans.core.http import client_ip
from genfans.credits.calculator import DEFAULT_QUALITY
from genfans.studio.engine.services import job_submit
from genfans.studio.models import JobType
from genfans.studio.selectors import queue_position_get

router = Router(tags=["generate"], auth=api_auth)


class GenerateIn(Schema):
    model_id: str = Field(max_length=64)
    prompt: str = Field(min_length=1, max_length=2000)
    num_images: int = Field(default=1, ge=1, le=8)
    width: int = Field(default=1024, ge=64, le=4096)
    height: int = Field(default=1024, ge=64, le=4096)
    quality: str = Field(default=DEFAULT_QUALITY, pattern=QUALITY_PATTERN)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    # For a custom model: which of its versions (its current one when omitted).
    version: int | None = Field(default=None, ge=1)


@router.post("/generate", response={202: JobEnvelope}, openapi_extra=errors(402, 429))
def generate(
    request,
    payload: GenerateIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key", max_length=200),
):
    caller = request.auth
    job = job_submit(
        team=caller.team,
        user=caller.user,
        job_type=JobType.IMAGE_GENERATION,
        params=payload.dict(),
        idempotency_key=idempotency_key or None,
        ip_address=client_ip(request),
        api_key=caller.api_key,
    )
    position = queue_position_get(team=caller.team, job=job)
    return Status(202, {"job": job_out(job, queue_position=position)})


@router.get("/generate/{job_id}", response=JobOut)
def get_generation(request, job_id: UUID):
    return job_detail(request, job_id)
