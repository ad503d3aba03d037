"""The fault matrix, in process: each cell runs jobs through the real engine (HTTP API, database
task worker, fal's protocol against a local fake) with one fault injected at a process boundary,
then settles and checks that no job is lost, none is charged twice and the ledger adds up."""

import time

import httpx
import psycopg
import pytest
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.test import Client
from django.utils import timezone

from genfans.credits.calculator import estimate
from genfans.credits.selectors import credits_balance_get
from genfans.providers import http
from genfans.storage.models import Asset
from genfans.studio.engine.services import job_advance
from genfans.studio.engine.sweep import jobs_sweep
from genfans.studio.models import Job, JobStatus
from tests.providers.fake_fal import serving_fal
from tests.reliability.conftest import settle_report
from tests.studio.conftest import make_team_client

CREDITS = 500


@pytest.fixture
def fal(engine, settings):
    # Only webhooks (or the sweep) move these jobs.
    with serving_fal(
        settings, GENFANS_PROVIDER="fal", JOB_POLL_SECONDS=3600, JOB_SWEEP_GRACE_SECONDS=0
    ) as fake:
        yield fake


@pytest.fixture
def teams(engine):
    """Two teams, so a fault in one team's job cannot hide behind another's."""
    return [
        make_team_client(Client, email=f"r{i}@example.com", credits=CREDITS, plan="starter")
        for i in range(2)
    ]


def _cost(num_images=1):
    params = {"num_images": num_images, "width": 512, "height": 512, "quality": "draft"}
    return estimate(operation="image_generation", params=params).credits


def _generate(client, model, num_images=1):
    body = {
        "model_id": str(model.pk),
        "prompt": "a harbour at night",
        "num_images": num_images,
        "width": 512,
        "height": 512,
        "quality": "draft",
    }
    response = client.post("/api/generate", body, content_type="application/json")
    assert response.status_code == 202, response.content
    return response.json()["job"]["id"]


def _submit_all(teams, model, per_team=2) -> list[str]:
    return [_generate(client, model) for _, client in teams for _ in range(per_team)]


def _request_of(job_id) -> str:
    return Job.objects.get(pk=job_id).provider_request_id


def _deliver(fal, request_id, **kwargs):
    url, headers, body = fal.webhook(request_id, **kwargs)
    path = url.removeprefix("http://testserver")
    return Client().post(path, body, content_type="application/json", headers=headers)


def _all_submitted(engine, job_ids):
    engine.drain(until=lambda: all(_request_of(job_id) for job_id in job_ids))


def _complete_all(engine, fal, job_ids):
    for job_id in job_ids:
        fal.complete(_request_of(job_id))
        assert _deliver(fal, _request_of(job_id)).status_code == 200
    engine.drain()


def _charged_once(teams, job_ids):
    for job_id in job_ids:
        job = Job.objects.get(pk=job_id)
        assert (job.status, job.credits_charged) == (JobStatus.SUCCEEDED, _cost())
    for team, _ in teams:
        spent = Job.objects.filter(team=team).count() * _cost()
        assert credits_balance_get(team=team).available == CREDITS + 50 - spent


def test_provider_5xx_on_submit_retries_then_succeeds(engine, fal, teams, reference_model):
    fal.fail_submits = 3
    job_ids = _submit_all(teams, reference_model)
    _all_submitted(engine, job_ids)
    _complete_all(engine, fal, job_ids)
    assert sum(Job.objects.values_list("attempts", flat=True)) == 3
    _charged_once(teams, job_ids)
    settle_report("provider 5xx on submit (retried)")


def test_provider_5xx_on_status_poll_retries_then_succeeds(engine, fal, teams, reference_model):
    job_ids = _submit_all(teams, reference_model)
    _all_submitted(engine, job_ids)
    fal.fail_status = 2
    _complete_all(engine, fal, job_ids)
    _charged_once(teams, job_ids)
    settle_report("provider 5xx on status poll (retried)")


def test_provider_5xx_beyond_the_limit_fails_and_releases(
    engine, fal, teams, reference_model, settings
):
    settings.JOB_MAX_ATTEMPTS = 2
    fal.fail_submits = 100
    job_ids = _submit_all(teams, reference_model)
    engine.drain()
    assert set(Job.objects.values_list("status", flat=True)) == {JobStatus.FAILED}
    for team, _ in teams:
        balance = credits_balance_get(team=team)
        assert (balance.available, balance.reserved) == (CREDITS + 50, 0)
    settle_report(
        "provider 5xx beyond the retry limit (failed)", jobs=Job.objects.filter(pk__in=job_ids)
    )


def test_a_submit_that_timed_out_after_sending_is_never_resent_and_completes_by_webhook(
    engine, fal, teams, reference_model, monkeypatch
):
    # fal takes each request but answers after our client has given up: the outcome is
    # unknown, so the job must not send it again (fal would run and bill it twice).
    monkeypatch.setattr(http, "TIMEOUT", httpx.Timeout(0.1))
    fal.hang_submits = 0.3
    job_ids = _submit_all(teams, reference_model, per_team=1)
    engine.drain(until=lambda: all(Job.objects.get(pk=j).submit_sent_at for j in job_ids))
    time.sleep(0.4)
    one_pass = lambda: True  # noqa: E731 - the jobs wait: nothing settles them yet
    engine.drain(until=one_pass)
    jobs_sweep()
    engine.drain(until=one_pass)
    assert len(fal.requests) == len(job_ids)
    assert not any(_request_of(job_id) for job_id in job_ids)
    # fal finishes; its webhook (our URL names the job) tells the job its request id.
    for request in fal.submits():
        fal.complete(request.request_id)
        assert _deliver(fal, request.request_id).status_code == 200
    engine.drain()
    assert len(fal.requests) == len(job_ids)
    _charged_once(teams, job_ids)
    settle_report("provider timeout after the submit was sent (adopted from the webhook)")


def test_a_lost_submit_that_no_webhook_names_fails_and_releases(
    engine, fal, teams, reference_model, monkeypatch, settings
):
    settings.PROVIDER_OUTCOME_SECONDS = 0
    monkeypatch.setattr(http, "TIMEOUT", httpx.Timeout(0.1))
    fal.hang_submits = 0.3
    job_ids = _submit_all(teams, reference_model, per_team=1)
    engine.drain(until=lambda: all(Job.objects.get(pk=j).status == "failed" for j in job_ids))
    time.sleep(0.4)
    assert len(fal.requests) == len(job_ids)
    for job_id in job_ids:
        job = Job.objects.get(pk=job_id)
        assert (job.error_code, job.credits_charged) == ("provider_outcome_unknown", 0)
    for team, _ in teams:
        assert credits_balance_get(team=team).available == CREDITS + 50
    # fal ran it anyway: its late callback is recorded and dropped, nothing moves.
    for request in fal.submits():
        fal.complete(request.request_id)
        assert _deliver(fal, request.request_id).status_code == 200
    engine.drain()
    assert set(Job.objects.values_list("status", flat=True)) == {"failed"}
    assert Asset.objects.count() == 0
    settle_report("submit outcome never learnt (failed, released)")


def test_duplicate_webhooks_charge_once(engine, fal, teams, reference_model):
    job_ids = _submit_all(teams, reference_model)
    _all_submitted(engine, job_ids)
    for job_id in job_ids:
        fal.complete(_request_of(job_id))
        for _ in range(3):
            assert _deliver(fal, _request_of(job_id)).status_code == 200
    engine.drain()
    for job_id in job_ids:
        assert _deliver(fal, _request_of(job_id)).status_code == 200
    engine.drain()
    _charged_once(teams, job_ids)
    assert Asset.objects.count() == len(job_ids)
    settle_report("duplicate webhooks (x4 each)")


def test_late_webhook_after_cancel_changes_nothing(engine, fal, teams, reference_model):
    job_ids = _submit_all(teams, reference_model, per_team=1)
    _all_submitted(engine, job_ids)
    for (_, client), job_id in zip(teams, job_ids, strict=True):
        assert client.delete(f"/api/jobs/{job_id}").json()["status"] == "canceled"
    for job_id in job_ids:
        request_id = _request_of(job_id)
        assert fal.requests[request_id].canceled
        fal.complete(request_id)
        assert _deliver(fal, request_id).status_code == 200
    engine.drain()
    assert set(Job.objects.values_list("status", flat=True)) == {JobStatus.CANCELED}
    assert Asset.objects.count() == 0
    for team, _ in teams:
        assert credits_balance_get(team=team).available == CREDITS + 50
    settle_report("late webhook after cancel")


def test_webhook_with_a_bad_signature_is_rejected_and_changes_nothing(
    engine, fal, teams, reference_model
):
    job_ids = _submit_all(teams, reference_model, per_team=1)
    _all_submitted(engine, job_ids)
    for job_id in job_ids:
        fal.complete(_request_of(job_id))
        assert _deliver(fal, _request_of(job_id), tamper=True).status_code == 400
        stale = _deliver(fal, _request_of(job_id), timestamp=1_000_000)
        assert stale.status_code == 400
    engine.worker.run()  # whatever a rejected webhook might have queued
    assert set(Job.objects.values_list("status", flat=True)) == {JobStatus.RUNNING}
    assert Asset.objects.count() == 0
    for job_id in job_ids:
        assert _deliver(fal, _request_of(job_id)).status_code == 200
    engine.drain()
    _charged_once(teams, job_ids)
    settle_report("webhook with a bad signature (then a good one)")


def _flaky_storage(monkeypatch, failures: int):
    real_save = default_storage.save
    left = [failures]

    def save(*args, **kwargs):
        if left[0]:
            left[0] -= 1
            raise OSError("disk full")
        return real_save(*args, **kwargs)

    monkeypatch.setattr(default_storage, "save", save)


def test_storage_write_failure_while_copying_outputs_retries(
    engine, fal, teams, reference_model, monkeypatch
):
    job_ids = _submit_all(teams, reference_model)
    _all_submitted(engine, job_ids)
    _flaky_storage(monkeypatch, failures=2)
    _complete_all(engine, fal, job_ids)
    _charged_once(teams, job_ids)
    assert Asset.objects.count() == len(job_ids)
    settle_report("storage write failure while copying outputs (retried)")


def test_storage_failing_for_good_fails_the_job_and_releases(
    engine, fal, teams, reference_model, monkeypatch, settings
):
    settings.JOB_MAX_ATTEMPTS = 2
    job_ids = _submit_all(teams, reference_model, per_team=1)
    _all_submitted(engine, job_ids)
    _flaky_storage(monkeypatch, failures=1000)
    _complete_all(engine, fal, job_ids)
    assert set(Job.objects.values_list("status", flat=True)) == {JobStatus.FAILED}
    assert Asset.objects.count() == 0
    for team, _ in teams:
        assert credits_balance_get(team=team).reserved == 0
    settle_report("storage failing for good (failed, released)")


@pytest.mark.postgres
def test_database_connection_dropped_during_finish(engine, fal, teams, reference_model, settings):
    """The backend is killed while job_finish writes the capture: the transaction rolls back
    as a whole, the lease expires, the sweep resumes the job and it is charged once."""
    settings.JOB_LEASE_SECONDS = 0
    job_ids = _submit_all(teams, reference_model, per_team=1)
    _all_submitted(engine, job_ids)
    victim = job_ids[0]
    fal.complete(_request_of(victim))
    url = "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**connection.settings_dict)
    killed = []

    def kill_at_capture(execute, sql, params, many, context):
        if not killed and 'INSERT INTO "credits_credittransaction"' in sql:
            pid = connection.connection.info.backend_pid
            with psycopg.connect(url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            killed.append(pid)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(kill_at_capture):
        try:
            job_advance(job_id=victim)
        except DatabaseError:
            connection.close()  # a worker's next task reconnects; so does the sweep below
    assert killed
    job = Job.objects.get(pk=victim)
    assert (job.status, job.credits_charged) == (JobStatus.RUNNING, 0)
    assert Asset.objects.count() == 0
    # Whether the step rescheduled itself or left only its lease, the sweep brings it back.
    Job.objects.filter(pk=victim).update(next_attempt_at=timezone.now())
    jobs_sweep()
    engine.drain(until=lambda: Job.objects.get(pk=victim).status == JobStatus.SUCCEEDED)
    _complete_all(engine, fal, job_ids[1:])
    _charged_once(teams, job_ids)
    settle_report("database connection dropped during finish")
