"""Soak (`make soak`): many jobs through real worker processes that are SIGKILLed at random,
with the sandbox failing some requests, until everything settles. Nothing lost, nothing
charged twice, the ledger exact."""

import random
import signal
import time

import pytest
from django.test import Client

from genfans.studio.engine.sweep import jobs_sweep
from genfans.studio.models import FINAL_STATUSES, Job
from tests.reliability.conftest import settle_report
from tests.reliability.test_worker_crash import spawn_worker_process
from tests.studio.conftest import make_team_client

pytestmark = [pytest.mark.postgres, pytest.mark.soak]

TEAMS, JOBS_PER_TEAM = 8, 25
CHAOS_SECONDS = 40
SETTLE_SECONDS = 180


def test_random_worker_kills_lose_nothing(engine, reference_model, settings, tmp_path):
    settings.JOB_LEASE_SECONDS = 2
    settings.JOB_SWEEP_GRACE_SECONDS = 0
    extra = {
        "GENFANS_PROVIDER": "sandbox",
        "SANDBOX_LATENCY_SECONDS": "0.3",
        "SANDBOX_FAILURE_RATE": "0.15",
        "JOB_LEASE_SECONDS": "2",
        "JOB_RETRY_BASE_SECONDS": "0.2",
    }
    clients = [
        make_team_client(Client, email=f"soak{i}@example.com", credits=5000, plan="pro")[1]
        for i in range(TEAMS)
    ]
    body = {
        "model_id": str(reference_model.pk),
        "prompt": "soak",
        "num_images": 2,
        "width": 512,
        "height": 512,
        "quality": "draft",
    }
    workers = [spawn_worker_process(tmp_path, extra) for _ in range(2)]
    rng = random.Random(8)
    kills = 0
    began = time.monotonic()
    submitted = 0
    try:
        while time.monotonic() - began < CHAOS_SECONDS:
            if submitted < TEAMS * JOBS_PER_TEAM:
                for client in clients:
                    response = client.post("/api/generate", body, content_type="application/json")
                    assert response.status_code == 202
                    submitted += 1
            time.sleep(rng.uniform(0.5, 1.5))
            victim = rng.randrange(len(workers))
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait(timeout=10)
            kills += 1
            workers[victim] = spawn_worker_process(tmp_path, extra)
            jobs_sweep()
        deadline = time.monotonic() + SETTLE_SECONDS
        while Job.objects.exclude(status__in=FINAL_STATUSES).exists():
            assert time.monotonic() < deadline, "the jobs did not settle"
            jobs_sweep()
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.kill()
            worker.wait(timeout=10)
    assert kills >= 10
    settle_report(f"soak: {kills} random worker SIGKILLs, sandbox failing 15%")
