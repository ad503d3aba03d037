"""A real `genfans worker` process is SIGKILLed mid-submit and mid-finish (PostgreSQL: the
worker process and the test share the test database). The job's lease expires, the sweep hands
it to another worker, which resumes it from what the Job row says; it is charged exactly once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from genfans.credits.models import CreditTransaction, Kind
from genfans.storage.models import Asset
from genfans.studio.engine.sweep import jobs_sweep
from genfans.studio.models import Job, JobStatus
from tests.providers.fake_fal import serving_fal
from tests.reliability.conftest import settle_report
from tests.studio.conftest import make_team_client

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 1


@pytest.fixture
def fal(engine, settings):
    with serving_fal(
        settings,
        GENFANS_PROVIDER="fal",
        JOB_POLL_SECONDS=3600,
        JOB_LEASE_SECONDS=LEASE_SECONDS,
        JOB_SWEEP_GRACE_SECONDS=0,
    ) as fake:
        yield fake


def spawn_worker_process(tmp_path, extra_env: dict[str, str]) -> subprocess.Popen:
    """`python -m genfans.cli worker` against the test database. Its files go under tmp_path
    (benchmarks.settings keeps media out of the checkout)."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "BENCH_DIR": str(tmp_path),
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        "DEBUG": "false",
        "AUTH_SECRET": "reliability-suite-secret-0123456789-abcdefghijklmnop",
        "BASE_URL": "http://testserver",
        "JOB_POLL_SECONDS": "3600",
        "WORKER_POLL_INTERVAL": "0.05",
        "LOG_LEVEL": "WARNING",
        **extra_env,
    }
    log = (tmp_path / f"worker-{time.monotonic_ns()}.log").open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "genfans.cli", "worker"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


@pytest.fixture
def spawn_worker(fal, tmp_path):
    """Real worker processes speaking to the fake fal; killed at teardown."""
    started: list[subprocess.Popen] = []
    extra = {
        "GENFANS_PROVIDER": "fal",
        "FAL_KEY": "test-fal-key",
        "FAL_QUEUE_URL": fal.url,
        "FAL_JWKS_URL": f"{fal.url}/.well-known/jwks.json",
        "PROVIDER_DOWNLOAD_ALLOWED_HOSTS": "127.0.0.1",
        "JOB_LEASE_SECONDS": str(LEASE_SECONDS),
    }

    def spawn() -> subprocess.Popen:
        started.append(spawn_worker_process(tmp_path, extra))
        return started[-1]

    yield spawn
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _wait(condition, *, timeout: float = 30.0, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _generate(client, model) -> str:
    body = {
        "model_id": str(model.pk),
        "prompt": "a lighthouse in a storm",
        "num_images": 1,
        "width": 512,
        "height": 512,
        "quality": "draft",
    }
    response = client.post("/api/generate", body, content_type="application/json")
    assert response.status_code == 202
    return response.json()["job"]["id"]


def _deliver(fal, request_id):
    url, headers, body = fal.webhook(request_id)
    path = url.removeprefix("http://testserver")
    return Client().post(path, body, content_type="application/json", headers=headers)


def _resume_after_lease(engine, job_id) -> None:
    """What the periodic sweep does once the dead worker's lease has run out."""
    job = Job.objects.get(pk=job_id)
    _wait(
        lambda: job.lease_until is None or time.time() > job.lease_until.timestamp() + 0.05,
        timeout=LEASE_SECONDS + 5,
        what="the lease to expire",
    )
    assert jobs_sweep()["resumed"] == 1


def _charged_exactly_once(job_id) -> None:
    job = Job.objects.get(pk=job_id)
    assert job.status == JobStatus.SUCCEEDED
    captures = CreditTransaction.objects.filter(job_id=job_id, kind=Kind.CAPTURE)
    assert [c.amount for c in captures] == [job.credits_charged]
    assert Asset.objects.filter(job_id=job_id).count() == 1


def test_worker_sigkilled_mid_submit(engine, fal, spawn_worker, reference_model):
    _, client = make_team_client(Client, email="kill-submit@example.com", credits=500)
    fal.hang_submits = 3  # the worker sits inside the provider call until it is killed
    job_id = _generate(client, reference_model)
    worker = spawn_worker()
    _wait(lambda: any(method == "POST" for method, _ in fal.log), what="the submit to start")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.provider_request_id) == (JobStatus.RUNNING, "")
    assert job.submit_sent_at is not None
    fal.hang_submits = 0

    # fal took the request before the worker died: the next worker must not send it again.
    _resume_after_lease(engine, job_id)
    engine.drain(until=lambda: Job.objects.get(pk=job_id).lease_until is None)
    _wait(lambda: fal.requests, what="fal to take the request the dead worker sent")
    [request_id] = fal.requests
    fal.complete(request_id)
    assert _deliver(fal, request_id).status_code == 200  # names the request: adopted
    engine.drain()
    assert list(fal.requests) == [request_id]
    _charged_exactly_once(job_id)
    settle_report("worker SIGKILL mid-submit (real process)")


def test_worker_sigkilled_mid_finish(engine, fal, spawn_worker, reference_model):
    _, client = make_team_client(Client, email="kill-finish@example.com", credits=500)
    job_id = _generate(client, reference_model)
    worker = spawn_worker()
    _wait(lambda: bool(Job.objects.get(pk=job_id).provider_request_id), what="the submit")
    request_id = Job.objects.get(pk=job_id).provider_request_id
    fal.hang_downloads = 30  # the worker sits inside the output copy until it is killed
    fal.complete(request_id)
    assert _deliver(fal, request_id).status_code == 200
    _wait(lambda: any(path.startswith("/files/") for path, _ in fal.downloads), what="the download")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.credits_charged) == (JobStatus.RUNNING, 0)
    fal.hang_downloads = 0

    _resume_after_lease(engine, job_id)
    engine.drain()
    _charged_exactly_once(job_id)
    settle_report("worker SIGKILL mid-finish (real process)")


def test_a_second_real_worker_resumes_what_a_killed_one_left(
    engine, fal, spawn_worker, reference_model
):
    """Only processes: worker A dies mid-finish, worker B (its scheduler runs the sweep)
    finishes the job; the test only delivers the provider's side."""
    _, client = make_team_client(Client, email="kill-both@example.com", credits=500)
    job_id = _generate(client, reference_model)
    first = spawn_worker()
    _wait(lambda: bool(Job.objects.get(pk=job_id).provider_request_id), what="the submit")
    request_id = Job.objects.get(pk=job_id).provider_request_id
    fal.hang_downloads = 30
    fal.complete(request_id)
    assert _deliver(fal, request_id).status_code == 200
    _wait(lambda: any(path.startswith("/files/") for path, _ in fal.downloads), what="the download")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    fal.hang_downloads = 0
    lease = Job.objects.get(pk=job_id).lease_until
    _wait(lambda: time.time() > lease.timestamp() + 0.05, what="the lease to expire")
    assert _deliver(fal, request_id).status_code == 200  # fal retries its webhook
    spawn_worker()
    _wait(
        lambda: Job.objects.get(pk=job_id).status == JobStatus.SUCCEEDED,
        what="the second worker to finish the job",
    )
    _charged_exactly_once(job_id)
    settle_report("worker SIGKILL, a second real worker resumes")
