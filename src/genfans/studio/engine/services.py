"""The job engine: submit, start, advance, finish, fail, cancel. The only writer of a job's
status and of the team's slots; what each job type takes and sends is its operation's
(`studio.operations`), which the engine calls at fixed points.

The Job row is the source of truth and tasks only carry its id. Status moves only by
conditional updates (`UPDATE … WHERE status IN (…)`), so a duplicate webhook, a second worker
or a late poll finds nothing to do. Credits move in the same transaction as the status.

Locks are always taken in one order, job → team slots → credit balance, so concurrent
submits, finishes and cancels of one team never deadlock.

The engine's own tasks (advance a job, dispatch a team's queue) are defined here, next to the
code that enqueues them: each re-enters the engine, so a separate tasks module would import the
engine and be imported by it. The periodic ones are in `studio.tasks`.
"""

import dataclasses
import logging
import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.tasks import task
from django.utils import timezone

from genfans.accounts.spend_limits import spend_limit_check
from genfans.billing.selectors import plan_effective_for_team
from genfans.core.errors import NotFound
from genfans.core.locks import lock_noted, rows_locked
from genfans.core.transactions import call_on_commit
from genfans.credits import calculator
from genfans.credits.errors import InsufficientCredits
from genfans.credits.selectors import credits_balance_get
from genfans.credits.services import credits_capture, credits_release, credits_reserve
from genfans.providers.base import (
    OUTCOME_UNKNOWN,
    ProviderError,
    ProviderOutput,
    ProviderRequest,
    ProviderState,
    ProviderStatus,
)
from genfans.providers.registry import capability_for, endpoint_for, provider_get, provider_route
from genfans.storage.services import (
    StoredFile,
    asset_file_save,
    asset_files_forget,
    asset_record,
    retention_deadline,
)
from genfans.studio import operations
from genfans.studio.errors import (
    IdempotencyKeyReused,
    JobAlreadyRunning,
    JobNotCancellable,
    TooManyQueuedJobs,
)
from genfans.studio.models import ACTIVE_STATUSES, Job, JobStatus, JobType, TeamSlots
from genfans.teams.activity import activity_record
from genfans.teams.models import Action, Team

logger = logging.getLogger(__name__)

ACTIONS = {
    JobType.IMAGE_GENERATION: Action.GENERATE,
    JobType.MODEL_CREATION: Action.CREATE_MODEL,
    JobType.MODEL_REFINEMENT: Action.REFINE_MODEL,
    JobType.VIDEO_GENERATION: Action.GENERATE_VIDEO,
    JobType.FACE_SWAP: Action.FACE_SWAP,
}
DOWNLOAD_THREADS = 4
# django.tasks priorities run from -100 to 100; plans use 0-3, so spread them out.
PRIORITY_STEP = 10


def _lease() -> timedelta:
    return timedelta(seconds=settings.JOB_LEASE_SECONDS)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(settings.JOB_RETRY_BASE_SECONDS * 2 ** (attempts - 1), 300))


def _poll_delay(provider) -> timedelta:
    if provider.sends_webhooks:
        return timedelta(seconds=settings.JOB_POLL_SECONDS)
    return timedelta(seconds=max(settings.SANDBOX_LATENCY_SECONDS, 0.05))


def _slots_locked(team) -> TeamSlots:
    TeamSlots.objects.get_or_create(team=team)
    return rows_locked("slots", TeamSlots.objects.filter(team=team)).get()


# --- submit -------------------------------------------------------------------------------


def job_submit(
    *,
    team,
    user,
    job_type: str,
    params: dict[str, Any],
    idempotency_key: str | None = None,
    ip_address: str | None = None,
    api_key=None,
) -> Job:
    """Price, reserve and queue a job in one transaction; dispatch after commit.

    A retried request with the same Idempotency-Key returns the first job and reserves once.
    `api_key` is the key the request came with: the job counts against its spend limit."""
    plan = plan_effective_for_team(team=team)
    prepared = operations.prepare(job_type=job_type, plan=plan, team=team, raw=params)
    estimate = calculator.estimate(operation=job_type, params=prepared.pricing)
    if operations.stages_files(job_type):
        existing = _admission_precheck(
            team=team,
            user=user,
            api_key=api_key,
            job_type=job_type,
            params=params,
            plan=plan,
            prepared=prepared,
            amount=estimate.credits,
            idempotency_key=idempotency_key,
        )
        if existing is not None:
            return existing
    # Storage I/O (training's zip) before the transaction, which holds the slot and balance
    # locks; the files are deleted again unless the job that records them commits.
    staged = operations.stage(job_type=job_type, team=team, prepared=prepared)
    recorded = False
    try:
        job, recorded = _job_submit(
            team=team,
            user=user,
            job_type=job_type,
            params=params,
            idempotency_key=idempotency_key,
            ip_address=ip_address,
            api_key=api_key,
            plan=plan,
            prepared=prepared,
            estimate=estimate,
            staged=staged,
        )
        return job
    except IntegrityError:
        # Two requests with one key raced past the lookup; the loser answers with the winner.
        if idempotency_key:
            existing = Job.objects.filter(team=team, idempotency_key=idempotency_key).first()
            if existing is not None:
                return _same_request_or_conflict(existing, job_type, params)
        raise
    finally:
        if staged and not recorded:
            asset_files_forget(operations.staged_files(staged))


def _route(job_type: str, prepared) -> str:
    """The provider the job goes to (OperationUnavailable, before anything is reserved, when
    none can run it as asked)."""
    return provider_route(job_type, operations.needs(job_type, prepared.params))


def _admission_precheck(
    *, team, user, api_key, job_type, params, plan, prepared, amount, idempotency_key
) -> Job | None:
    """Before a submit stages files (zips photos), the checks that would refuse it anyway, so a
    replay, a full queue, a spend cap or too few credits touch no storage. Unlocked reads: the
    submit's transaction checks all of them again under the slot and balance locks."""
    if idempotency_key:
        existing = Job.objects.filter(team=team, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_request_or_conflict(existing, job_type, params)
    _route(job_type, prepared)
    if Job.objects.filter(team=team, status=JobStatus.QUEUED).count() >= plan.max_queued_jobs:
        raise TooManyQueuedJobs(limit=plan.max_queued_jobs)
    spend_limit_check(team=team, user=user, api_key=api_key, amount=amount)
    available = credits_balance_get(team=team).available
    if available < amount:
        raise InsufficientCredits(needed=amount, available=available)
    return None


def _same_request_or_conflict(job: Job, job_type: str, raw: dict[str, Any]) -> Job:
    if job.type != job_type or job.params.get("request") != raw:
        raise IdempotencyKeyReused()
    return job


@transaction.atomic(durable=True)
def _job_submit(
    *,
    team,
    user,
    job_type,
    params,
    idempotency_key,
    ip_address,
    api_key,
    plan,
    prepared,
    estimate,
    staged,
) -> tuple[Job, bool]:
    """The job, and whether this call created it (a replay answers with the first one)."""
    # The slot row serialises a team's submits: the queue limit and the key check are exact.
    slots = _slots_locked(team)
    if idempotency_key:
        existing = Job.objects.filter(team=team, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_request_or_conflict(existing, job_type, params), False
    provider_name = _route(job_type, prepared)
    queued = Job.objects.filter(team=team, status=JobStatus.QUEUED).count()
    if queued >= plan.max_queued_jobs:
        raise TooManyQueuedJobs(limit=plan.max_queued_jobs)
    # Under the slot lock, so concurrent submits cannot each fit under the cap; after the
    # key lookup, so a replay of an accepted job still answers with it.
    spend_limit_check(team=team, user=user, api_key=api_key, amount=estimate.credits)
    job = Job.objects.create(
        team=team,
        user=user,
        api_key=api_key,
        type=job_type,
        priority=plan.queue_priority,
        params={**prepared.params, "pricing": prepared.pricing, "request": params},
        credits_estimated=estimate.credits,
        credits_reserved=estimate.credits,
        provider=provider_name,
        endpoint=endpoint_for(provider_name, job_type),
        parts=operations.parts(job_type, prepared.params, capability_for(provider_name, job_type)),
        webhook_token=secrets.token_urlsafe(24),
        idempotency_key=idempotency_key,
    )
    credits_reserve(team=team, job=job, amount=estimate.credits)
    operations.on_submitted(job, staged=staged)
    activity_record(
        action=ACTIONS[job_type],
        team=team,
        user=user,
        api_key=api_key,
        ip_address=ip_address,
        metadata={"job_id": str(job.pk), "credits": estimate.credits},
    )
    # One dispatch task per burst, not per job. With every slot taken, the next job to end
    # starts this one; with jobs already waiting, whoever starts them (their dispatch, or a
    # finish) takes this slot row after we commit and goes on to this job. Either way a
    # dispatch task now would find nothing to do.
    if slots.used < plan.max_concurrent_jobs and queued == 0:
        team_dispatch_on_commit(team_id=team.pk, priority=plan.queue_priority)
    return job, True


# --- start --------------------------------------------------------------------------------


def _start_next(*, team) -> Job | None:
    """Take a slot and start the team's next waiting job, inside the caller's transaction."""
    waiting = Job.objects.filter(team=team, status=JobStatus.QUEUED)
    # Nobody waiting is the common case at the end of a finish and of a dispatch: one query
    # instead of taking and giving back a slot. (A job queued concurrently is dispatched by
    # its submit, which serialises with us on the slot row.)
    if not waiting.exists():
        return None
    plan = plan_effective_for_team(team=team)
    TeamSlots.objects.get_or_create(team=team)
    lock_noted("slots")
    taken = TeamSlots.objects.filter(team=team, used__lt=plan.max_concurrent_jobs).update(
        used=F("used") + 1
    )
    if not taken:
        return None
    now = timezone.now()
    job = rows_locked("job", waiting.order_by("-priority", "created_at"), skip_locked=True).first()
    started = job is not None and Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, next_attempt_at=now, lease_until=None
    )
    if not started:
        _slot_give_back(team_id=team.pk)
        return None
    job_advance_on_commit(job_id=job.pk, priority=job.priority)
    return job


def _slot_give_back(*, team_id) -> None:
    lock_noted("slots")
    TeamSlots.objects.filter(team_id=team_id, used__gt=0).update(used=F("used") - 1)


@transaction.atomic(durable=True)
def team_dispatch(*, team_id) -> int:
    """Start as many of the team's waiting jobs as its plan allows."""
    team = Team.objects.select_related("plan").filter(pk=team_id).first()
    if team is None:
        return 0
    started = 0
    while _start_next(team=team) is not None:
        started += 1
    return started


# --- advance ------------------------------------------------------------------------------


def job_advance(*, job_id) -> None:
    """Move a running job one step: submit it, or look at the provider and finish it.

    The lease makes one worker responsible at a time; a worker that dies leaves a lease that
    expires, and the sweep hands the job to another worker, which resumes from the stored
    provider request id."""
    now = timezone.now()
    claimed = (
        Job.objects.filter(pk=job_id, status=JobStatus.RUNNING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .update(lease_until=now + _lease())
    )
    if not claimed:
        return
    job = Job.objects.select_related("team").get(pk=job_id)
    provider = provider_get(job.provider)
    if not job.provider_request_id:
        _submit(job, provider)
        return
    try:
        status = provider.status(endpoint=job.endpoint, request_id=job.provider_request_id)
    except ProviderError as exc:
        _retry_or_fail(job, exc)
        return
    if status.state == ProviderState.COMPLETED:
        _complete(job, provider, status)
    elif status.is_final:
        _fail_or_deliver(job, code="provider_failed", message=status.error or status.state)
    else:
        _wait(job, provider, progress=status.progress)


def webhook_url(job: Job) -> str:
    query = urlencode({"job": str(job.pk), "token": job.webhook_token})
    return f"{settings.BASE_URL}/api/webhooks/{job.provider}?{query}"


def _submit(job: Job, provider) -> None:
    """Send the current part's request, once. The send is recorded first (committed), so a
    worker that dies or times out mid-send leaves a job that is never sent again: it waits for
    the webhook to name the request (`job_webhook_received`), or fails once that wait is
    over. Only an answer that proves the request did not start lets a retry send it."""
    if job.submit_sent_at is not None:
        _await_outcome(job)
        return
    sent_at = timezone.now()
    marked = Job.objects.filter(
        pk=job.pk,
        status=JobStatus.RUNNING,
        part=job.part,
        provider_request_id="",
        submit_sent_at__isnull=True,
    ).update(submit_sent_at=sent_at)
    if not marked:
        return
    request = ProviderRequest(
        operation=job.type,
        endpoint=job.endpoint,
        input=operations.provider_input(job, provider_name=provider.name),
        webhook_url=webhook_url(job),
    )
    try:
        request_id = provider.submit(request)
    except ProviderError as exc:
        if exc.code == OUTCOME_UNKNOWN:
            logger.warning("job %s: submit outcome unknown, awaiting its webhook: %s", job.pk, exc)
            job.submit_sent_at = sent_at
            _await_outcome(job)
            return
        Job.objects.filter(pk=job.pk, submit_sent_at=sent_at).update(submit_sent_at=None)
        _retry_or_fail(job, exc)
        return
    _request_adopt(job, provider, request_id=request_id)


def _request_adopt(job: Job, provider, *, request_id: str, look_now: bool = False) -> bool:
    """Store the request id of the current part (from the submit's answer, or from a webhook
    when that answer was lost) and poll it (at once for a webhook, which says there is news);
    False when the job already has one or ended."""
    next_at = timezone.now() + (timedelta(0) if look_now else _poll_delay(provider))
    with transaction.atomic():
        stored = Job.objects.filter(
            pk=job.pk, status=JobStatus.RUNNING, part=job.part, provider_request_id=""
        ).update(
            provider_request_id=request_id,
            lease_until=None,
            next_attempt_at=next_at,
            progress=max(job.progress, 5),
        )
        if stored:
            job_advance_on_commit(job_id=job.pk, priority=job.priority, run_after=next_at)
    if not stored and not Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).exists():
        # Canceled or failed while we were submitting: stop the work we just started.
        _provider_cancel(provider, endpoint=job.endpoint, request_id=request_id)
    return bool(stored)


def _await_outcome(job: Job) -> None:
    """A submit was sent and its answer lost: wait for the webhook, never send it again, and
    fail (releasing the credits) once PROVIDER_OUTCOME_SECONDS have passed."""
    deadline = job.submit_sent_at + timedelta(seconds=settings.PROVIDER_OUTCOME_SECONDS)
    now = timezone.now()
    if now >= deadline:
        _fail_or_deliver(
            job,
            code=OUTCOME_UNKNOWN,
            message="The provider never confirmed the request, so it was not sent again.",
        )
        return
    next_at = min(deadline, now + timedelta(seconds=settings.JOB_POLL_SECONDS))
    with transaction.atomic():
        Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
            lease_until=None, next_attempt_at=next_at
        )
        job_advance_on_commit(job_id=job.pk, priority=job.priority, run_after=next_at)


def _overall_progress(job: Job, part_progress: int) -> int:
    return max(5, min((job.part * 100 + part_progress) // job.parts, 95))


def _wait(job: Job, provider, *, progress: int) -> None:
    next_at = timezone.now() + _poll_delay(provider)
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        progress=_overall_progress(job, progress), lease_until=None, next_attempt_at=next_at
    )
    job_advance_on_commit(job_id=job.pk, priority=job.priority, run_after=next_at)


def _retry_or_fail(job: Job, exc: Exception) -> None:
    # Provider errors say whether they may pass; storage and database errors usually do.
    retryable = getattr(exc, "retryable", True)
    attempts = job.attempts + 1
    if not retryable or attempts >= settings.JOB_MAX_ATTEMPTS:
        _fail_or_deliver(job, code=getattr(exc, "code", "storage_error"), message=str(exc))
        return
    next_at = timezone.now() + _backoff(attempts)
    logger.warning("job %s: attempt %s failed, retrying at %s: %s", job.pk, attempts, next_at, exc)
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        attempts=attempts, next_attempt_at=next_at, lease_until=None, error_message=str(exc)[:500]
    )
    job_advance_on_commit(job_id=job.pk, priority=job.priority, run_after=next_at)


def _download_all(provider, outputs: list[ProviderOutput]) -> list[bytes]:
    """Outputs are fetched concurrently, so one slow download does not serialise the rest."""
    if len(outputs) <= 1:
        return [provider.download(output) for output in outputs]
    with ThreadPoolExecutor(max_workers=min(DOWNLOAD_THREADS, len(outputs))) as pool:
        return list(pool.map(provider.download, outputs))


def _complete(job: Job, provider, status) -> None:
    delivered = [output for output in status.outputs if not output.nsfw]
    if not delivered:
        if status.outputs:
            _fail_or_deliver(job, code="nsfw", message="Every output was withheld as NSFW.")
        else:
            _fail_or_deliver(job, code="no_output", message="The provider returned nothing.")
        return
    try:
        contents = _download_all(provider, delivered)
    except ProviderError as exc:
        _retry_or_fail(job, exc)
        return
    outputs = list(zip(delivered, contents, strict=True))
    try:
        if job.part + 1 < job.parts:
            _part_done(job, outputs=outputs)
        else:
            job_finish(job=job, outputs=outputs, status=status)
    except Exception as exc:  # noqa: BLE001 - any storage backend's error; both are atomic
        logger.exception("job %s: storing outputs failed", job.pk)
        _retry_or_fail(job, exc)


def _fail_or_deliver(job: Job, *, code: str, message: str) -> None:
    """A part failed for good. With earlier parts delivered the job succeeds with those, and
    is charged for them only; with none it fails and releases."""
    if job.part_outputs:
        logger.warning(
            "job %s: part %s failed (%s), delivering the earlier parts", job.pk, job.part, code
        )
        job_finish(job=job, outputs=[], status=ProviderStatus(state=ProviderState.COMPLETED))
        return
    job_fail(job_id=job.pk, code=code, message=message)


def _measured_and_stored(job: Job, outputs) -> list[tuple[ProviderOutput, StoredFile]]:
    """Measure and write each output's file, outside any transaction; on an error the files
    written so far are deleted again."""
    measured = [(operations.measure(job, output, content), content) for output, content in outputs]
    stored = []
    try:
        for output, content in measured:
            stored.append(
                asset_file_save(
                    team=job.team,
                    kind=output.kind,
                    content=content,
                    content_type=output.content_type,
                )
            )
    except BaseException:
        asset_files_forget(stored)
        raise
    return [(output, file) for (output, _), file in zip(measured, stored, strict=True)]


def _part_outputs_dump(files: list[tuple[ProviderOutput, StoredFile]]) -> list[dict[str, Any]]:
    return [
        {
            "output": dataclasses.asdict(output),
            "id": str(file.id),
            "key": file.key,
            "size": file.size,
        }
        for output, file in files
    ]


def _part_outputs_load(job: Job) -> list[tuple[ProviderOutput, StoredFile]]:
    return [
        (
            ProviderOutput(**item["output"]),
            StoredFile(id=uuid.UUID(item["id"]), key=item["key"], size=item["size"]),
        )
        for item in job.part_outputs
    ]


def _part_done(job: Job, *, outputs) -> None:
    """One part of a split request delivered: keep its files on the job and send the next
    part. Conditional on the job still running this part, so a duplicate poll stores nothing."""
    files = _measured_and_stored(job, outputs)
    next_part = job.part + 1
    with transaction.atomic():
        moved = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, part=job.part).update(
            part=next_part,
            part_outputs=[*job.part_outputs, *_part_outputs_dump(files)],
            provider_request_id="",
            submit_sent_at=None,
            attempts=0,
            progress=_overall_progress(job, 100),
            lease_until=None,
            next_attempt_at=timezone.now(),
        )
        if moved:
            job_advance_on_commit(job_id=job.pk, priority=job.priority)
    if not moved:
        asset_files_forget([file for _, file in files])


def job_finish(*, job: Job, outputs: list[tuple[ProviderOutput, bytes]], status) -> bool:
    """Store the outputs, charge what was delivered, release the rest, free the slot and start
    the team's next job: all or nothing, once. The outputs of earlier parts (stored when each
    part came back) are recorded with the last part's.

    The files are measured and written first, outside any transaction (storage I/O never runs
    under the slot or balance lock); one transaction then records them and moves the job and
    its credits, conditionally on the job still running. Files it did not record (it rolled
    back, or a duplicate finish found nothing to do) are deleted again; a crash in between
    leaves orphans no row points to, and the lease hands the job to the next worker."""
    stored = _measured_and_stored(job, outputs)
    try:
        finished = _job_finish(
            job_id=job.pk, outputs=[*_part_outputs_load(job), *stored], status=status
        )
    except BaseException:
        asset_files_forget([file for _, file in stored])
        raise
    if not finished:
        asset_files_forget([file for _, file in stored])
    return finished


@transaction.atomic(durable=True)
def _job_finish(*, job_id, outputs, status) -> bool:
    now = timezone.now()
    finished = Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        status=JobStatus.SUCCEEDED,
        progress=100,
        finished_at=now,
        lease_until=None,
        next_attempt_at=None,
        expires_at=retention_deadline(now=now),
        error_code="",
        error_message="",
    )
    if not finished:
        return False
    job = Job.objects.select_related("team", "team__plan").get(pk=job_id)
    assets = [
        asset_record(
            team=job.team,
            stored=stored,
            job=job,
            kind=output.kind,
            content_type=output.content_type,
            width=output.width,
            height=output.height,
            duration=output.duration,
            seed=output.seed,
        )
        for output, stored in outputs
    ]
    cost = calculator.estimate(
        operation=job.type, params=operations.delivered_pricing(job, assets=assets)
    ).credits
    _slot_give_back(team_id=job.team_id)
    charged = credits_capture(job=job, amount=cost)
    Job.objects.filter(pk=job_id).update(credits_charged=charged)
    operations.on_succeeded(job, assets=assets, artefacts=status.artefacts)
    _start_next(team=job.team)
    return True


def _job_end(job: Job, *, status: str, expect: Q | None = None, **fields) -> bool:
    """Move a job that has not ended to `status`, conditionally (and on `expect`); give back
    its slot and its whole reservation and start the team's next job. False when it had
    already ended, or no longer matched `expect`."""
    was_running = job.status == JobStatus.RUNNING
    ending = Job.objects.filter(pk=job.pk, status=job.status, status__in=ACTIVE_STATUSES)
    ended = ending.filter(expect or Q()).update(
        status=status, finished_at=timezone.now(), lease_until=None, next_attempt_at=None, **fields
    )
    if not ended:
        return False
    if was_running:
        _slot_give_back(team_id=job.team_id)
    credits_release(job=job)
    if job.part_outputs:
        call_on_commit(asset_files_forget, [file for _, file in _part_outputs_load(job)])
    operations.on_failed(job)
    if was_running:
        _start_next(team=job.team)
    return True


@transaction.atomic(durable=True)
def job_fail(*, job_id, code: str, message: str) -> bool:
    """Fail a job that has not ended and release its whole reservation."""
    job = Job.objects.select_related("team", "team__plan").filter(pk=job_id).first()
    if job is None:
        return False
    return _job_end(
        job, status=JobStatus.FAILED, error_code=code[:64], error_message=message[:2000]
    )


def job_cancel(*, team, job_id, user=None, ip_address: str | None = None) -> Job:
    """Cancel a job and release its credits, when that is the truth: a job still waiting here,
    or whose request the provider confirms it stopped (fal and Higgsfield stop only queued
    requests). A job the provider is already running cannot be stopped: JobAlreadyRunning
    (409), and it runs to the end, charged for what it delivers. So is one with a part
    delivered, or a submit whose answer was lost (there is no request to stop)."""
    job = Job.objects.filter(team=team, pk=job_id).first()
    if job is None:
        raise NotFound("No such job.")
    if job.status == JobStatus.RUNNING and (job.part_outputs or job.submit_sent_at):
        if job.part_outputs or not job.provider_request_id:
            raise JobAlreadyRunning()
        try:
            stopped = provider_get(job.provider).cancel(
                endpoint=job.endpoint, request_id=job.provider_request_id
            )
        except ProviderError as exc:
            logger.warning("job %s: provider cancel failed: %s", job.pk, exc)
            raise JobAlreadyRunning(
                "The provider could not be asked to stop this job; try again shortly."
            ) from exc
        if not stopped:
            raise JobAlreadyRunning()
    return _job_cancel(job=job, user=user, ip_address=ip_address)


@transaction.atomic(durable=True)
def _job_cancel(*, job: Job, user, ip_address: str | None) -> Job:
    """End the job as canceled, conditionally on the state `job_cancel` judged: a job that
    moved meanwhile (its submit went out, a part came back) is not canceled behind its back."""
    locked = rows_locked("job", Job.objects.select_related("team", "team__plan").filter(pk=job.pk))
    current = locked.first()
    if current is None or current.status not in ACTIVE_STATUSES:
        raise JobNotCancellable(status=current.status if current else job.status)
    # The state judged, as a condition of the update itself: on SQLite, where the row lock
    # is a no-op, a submit marked in between makes the update match nothing.
    judged = Q(
        submit_sent_at=job.submit_sent_at,
        provider_request_id=job.provider_request_id,
        part=job.part,
    )
    if not _job_end(current, status=JobStatus.CANCELED, expect=judged):
        current.refresh_from_db(fields=["status"])
        if current.status == JobStatus.RUNNING:
            raise JobAlreadyRunning()
        raise JobNotCancellable(status=current.status)
    activity_record(
        action=Action.CANCEL_JOB,
        team=current.team,
        user=user,
        ip_address=ip_address,
        metadata={"job_id": str(current.pk)},
    )
    current.refresh_from_db()
    return current


def _provider_cancel(provider, *, endpoint: str, request_id: str) -> None:
    try:
        provider.cancel(endpoint=endpoint, request_id=request_id)
    except ProviderError as exc:
        # The job is already canceled and released on our side; the provider may finish the
        # work anyway, and its late webhook then changes nothing.
        logger.warning("provider cancel of %s failed: %s", request_id, exc)


# --- webhooks -----------------------------------------------------------------------------


def job_for_webhook(*, provider: str, job_id, token: str | None = None) -> Job:
    job = Job.objects.filter(pk=job_id, provider=provider).first()
    if job is None or (token is not None and not secrets.compare_digest(token, job.webhook_token)):
        raise NotFound("No such job.")
    return job


def job_webhook_received(*, job: Job, request_id: str | None = None) -> None:
    """A webhook only says "look now": the job engine re-reads the provider's status. It never
    causes a submit. When the submit's answer was lost, the webhook's request id is adopted
    (the URL's job id and token already matched); one for a job that has ended is recorded in
    the log and dropped."""
    if job.status != JobStatus.RUNNING:
        logger.warning(
            "late %s webhook for %s job %s (request %s): dropped",
            job.provider,
            job.status,
            job.pk,
            request_id or "unnamed",
        )
        return
    if job.submit_sent_at is None:
        return
    if not job.provider_request_id:
        if request_id:
            _request_adopt(job, provider_get(job.provider), request_id=request_id, look_now=True)
        return
    with transaction.atomic():
        job_advance_on_commit(job_id=job.pk, priority=job.priority + 1)


# --- the engine's tasks ---------------------------------------------------------------------


def _priority(priority: int) -> int:
    return max(-100, min(100, priority * PRIORITY_STEP))


@task()
def job_advance_task(job_id: str) -> None:
    job_advance(job_id=job_id)


@task()
def team_dispatch_task(team_id: str) -> None:
    team_dispatch(team_id=team_id)


def job_advance_on_commit(*, job_id, priority: int, run_after: datetime | None = None) -> None:
    queued = job_advance_task.using(priority=_priority(priority), run_after=run_after)
    transaction.on_commit(lambda: queued.enqueue(str(job_id)))


def team_dispatch_on_commit(*, team_id, priority: int) -> None:
    queued = team_dispatch_task.using(priority=_priority(priority))
    transaction.on_commit(lambda: queued.enqueue(str(team_id)))
