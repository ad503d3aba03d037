from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Query, Router, Schema
from pydantic import Field

from genfans.api.security import api_auth
from genfans.core.http import client_ip
from genfans.core.pagination import paginate
from genfans.storage.urls import asset_url
from genfans.studio.engine.services import job_cancel
from genfans.studio.models import Job, JobStatus, JobType
from genfans.studio.selectors import (
    job_get_for_team,
    job_list_for_team,
    queue_position_get,
    queue_positions_for_team,
)

router = Router(tags=["jobs"], auth=api_auth)

PUBLIC_PARAMS_HIDDEN = {"request", "pricing"}


class CreditsOut(Schema):
    estimated: int
    reserved: int
    charged: int


class OutputOut(Schema):
    id: str
    kind: str
    url: str
    width: int | None
    height: int | None
    duration: float | None
    content_type: str


class ErrorOut(Schema):
    code: str
    message: str


class JobOut(Schema):
    id: str
    type: str
    status: str
    progress: int
    queue_position: int | None
    params: dict[str, Any]
    credits: CreditsOut
    outputs: list[OutputOut]
    error: ErrorOut | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobPage(Schema):
    items: list[JobOut]
    next_cursor: str | None


class JobFilters(Schema):
    status: JobStatus | None = None
    type: JobType | None = None
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)


def job_out(job: Job, *, queue_position: int | None = None) -> dict[str, Any]:
    return {
        "id": str(job.pk),
        "type": job.type,
        "status": job.status,
        "progress": job.progress,
        "queue_position": queue_position if job.status == JobStatus.QUEUED else None,
        "params": {k: v for k, v in job.params.items() if k not in PUBLIC_PARAMS_HIDDEN},
        "credits": {
            "estimated": job.credits_estimated,
            "reserved": job.credits_reserved,
            "charged": job.credits_charged,
        },
        "outputs": [
            {
                "id": str(asset.pk),
                "kind": asset.kind,
                "url": asset_url(asset),
                "width": asset.width,
                "height": asset.height,
                "duration": asset.duration,
                "content_type": asset.content_type,
            }
            for asset in getattr(job, "outputs", [])
        ],
        "error": (
            {"code": job.error_code, "message": job.error_message}
            if job.status == JobStatus.FAILED
            else None
        ),
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


def job_detail(request, job_id: UUID) -> dict[str, Any]:
    team = request.auth.team
    job = job_get_for_team(team=team, job_id=job_id)
    return job_out(job, queue_position=queue_position_get(team=team, job=job))


@router.get("/jobs", response=JobPage)
def list_jobs(request, filters: Query[JobFilters]):
    team = request.auth.team
    page = paginate(
        job_list_for_team(team=team, status=filters.status, job_type=filters.type),
        limit=filters.limit,
        cursor=filters.cursor,
    )
    positions = (
        queue_positions_for_team(team=team)
        if any(job.status == JobStatus.QUEUED for job in page.items)
        else {}
    )
    return {
        "items": [job_out(job, queue_position=positions.get(job.pk)) for job in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get("/jobs/{job_id}", response=JobOut)
def get_job(request, job_id: UUID):
    return job_detail(request, job_id)


@router.delete("/jobs/{job_id}", response=JobOut)
def cancel_job(request, job_id: UUID):
    caller = request.auth
    job = job_cancel(
        team=caller.team, job_id=job_id, user=caller.user, ip_address=client_ip(request)
    )
    return job_out(job)
