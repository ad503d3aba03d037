"""The periodic sweep repairs what crashes leave behind."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from genfans.credits.selectors import credits_balance_get
from genfans.studio.engine.sweep import jobs_sweep
from genfans.studio.models import Job, JobStatus, TeamSlots
from tests.studio.conftest import make_team_client

BODY = {"prompt": "x", "num_images": 1, "width": 512, "height": 512, "quality": "draft"}


def _submit(client, model):
    body = {**BODY, "model_id": str(model.pk)}
    return client.post("/api/generate", body, content_type="application/json").json()["job"]["id"]


def test_a_dead_workers_lease_expires_and_another_worker_finishes_the_job_once(
    engine, reference_model, settings
):
    settings.SANDBOX_LATENCY_SECONDS = 60
    team, client = make_team_client(Client, email="lease@example.com", credits=100)
    job_id = _submit(client, reference_model)
    engine.drain(
        until=lambda: Job.objects.filter(pk=job_id).exclude(provider_request_id="").exists()
    )
    # A worker claimed the job and died: its lease is still on the row, its task is gone.
    Job.objects.filter(pk=job_id).update(lease_until=timezone.now() - timedelta(seconds=1))
    DBTaskResult.objects.all().delete()
    settings.SANDBOX_LATENCY_SECONDS = 0
    assert jobs_sweep()["resumed"] == 1
    engine.drain()
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.credits_charged) == (JobStatus.SUCCEEDED, job.credits_estimated)
    assert credits_balance_get(team=team).available == 150 - job.credits_estimated


def test_jobs_past_the_deadline_fail_and_release(engine, reference_model, settings):
    settings.SANDBOX_LATENCY_SECONDS = 60
    team, client = make_team_client(Client, email="late@example.com", credits=100)
    job_id = _submit(client, reference_model)
    engine.drain(until=lambda: Job.objects.filter(pk=job_id, status="running").exists())
    Job.objects.filter(pk=job_id).update(started_at=timezone.now() - timedelta(hours=3))
    assert jobs_sweep()["expired"] == 1
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.error_code) == (JobStatus.FAILED, "deadline_exceeded")
    assert credits_balance_get(team=team).available == 150
    assert TeamSlots.objects.get(team=team).used == 0
    engine.drain()


def test_a_leaked_slot_is_repaired_and_waiting_jobs_start(engine, reference_model, settings):
    team, client = make_team_client(Client, email="leak@example.com", credits=100)
    TeamSlots.objects.create(team=team, used=1)  # a crash left the only slot taken
    job_id = _submit(client, reference_model)
    engine.drain(until=lambda: True)
    assert Job.objects.get(pk=job_id).status == JobStatus.QUEUED
    counts = jobs_sweep()
    assert (counts["slots_repaired"], counts["dispatched"]) == (1, 1)
    engine.drain()
    assert Job.objects.get(pk=job_id).status == JobStatus.SUCCEEDED
    assert TeamSlots.objects.get(team=team).used == 0
