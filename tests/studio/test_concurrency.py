"""Plan limits under real concurrency: PostgreSQL, several worker threads, many jobs."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from genfans.studio.models import Job, JobStatus
from tests.studio.conftest import make_team_client
from tests.workers import WorkerThread

pytestmark = pytest.mark.postgres


def test_two_plans_never_exceed_their_limits_under_three_workers(engine, reference_model, settings):
    settings.SANDBOX_LATENCY_SECONDS = 0.3
    free, free_client = make_team_client(Client, email="free@example.com", credits=500)
    starter, starter_client = make_team_client(
        Client, email="starter@example.com", credits=500, plan="starter"
    )
    body = {
        "model_id": str(reference_model.pk),
        "prompt": "studio light",
        "num_images": 1,
        "width": 512,
        "height": 512,
        "quality": "draft",
    }
    for client in (free_client, starter_client):
        for _ in range(5):
            assert (
                client.post("/api/generate", body, content_type="application/json").status_code
                == 202
            )

    peaks = {free.pk: 0, starter.pk: 0}
    done = threading.Event()

    def sample():
        try:
            while not done.is_set():
                for team_id in peaks:
                    running = Job.objects.filter(team_id=team_id, status=JobStatus.RUNNING).count()
                    peaks[team_id] = max(peaks[team_id], running)
                time.sleep(0.01)
        finally:
            connection.close()

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    workers = [WorkerThread(f"w{i}") for i in range(3)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 60
    while Job.objects.exclude(status=JobStatus.SUCCEEDED).exists():
        assert time.monotonic() < deadline, "jobs did not finish"
        time.sleep(0.05)
    done.set()
    for worker in workers:
        worker.stop()
    sampler.join(timeout=5)

    assert peaks == {free.pk: 1, starter.pk: 2}
    for team in (free, starter):
        jobs = list(Job.objects.filter(team=team).order_by("created_at"))
        assert [j.started_at for j in jobs] == sorted(j.started_at for j in jobs)
        assert sum(j.credits_charged for j in jobs) == sum(j.credits_estimated for j in jobs)
