"""Provider callbacks. Each names our job in its URL, so it finds the job even when it arrives
before the provider's request id is stored; what it says is re-read from the provider."""

import json
import logging
from uuid import UUID

from ninja import Query, Router, Schema

from genfans.core.errors import NotFound
from genfans.providers.fal_webhook import fal_webhook_verify
from genfans.studio.engine.services import job_for_webhook, job_webhook_received

logger = logging.getLogger(__name__)
router = Router(tags=["webhooks"])


class Received(Schema):
    received: bool


def _job_or_404(*, provider: str, job_id: UUID, token: str | None):
    try:
        return job_for_webhook(provider=provider, job_id=job_id, token=token)
    except NotFound:
        logger.warning("%s webhook for unknown job %s", provider, job_id)
        raise


def _request_id(body: bytes) -> str | None:
    """The provider's request id the callback is about (fal and Higgsfield both send
    `request_id`): adopted when the submit's answer was lost."""
    try:
        value = json.loads(body).get("request_id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and 0 < len(value) <= 200 else None


@router.post("/webhooks/fal", response=Received, auth=None)
def fal_webhook(request, job: UUID):
    fal_webhook_verify(headers=request.headers, body=request.body)
    job_webhook_received(
        job=_job_or_404(provider="fal", job_id=job, token=None),
        request_id=_request_id(request.body),
    )
    return {"received": True}


@router.post("/webhooks/higgsfield", response=Received, auth=None)
def higgsfield_webhook(request, job: UUID, token: str = Query(..., max_length=100)):
    # Unsigned by Higgsfield: the per-job token proves the URL is ours, and the status is
    # re-read from Higgsfield before anything is trusted.
    job_webhook_received(
        job=_job_or_404(provider="higgsfield", job_id=job, token=token),
        request_id=_request_id(request.body),
    )
    return {"received": True}
