"""Image generation end to end: HTTP API → job engine → provider → storage → ledger."""

import json

import httpx
import pytest
from django.test import Client

from genfans.credits.calculator import estimate
from genfans.credits.selectors import credits_balance_get
from genfans.storage.models import Asset
from genfans.studio.engine.sweep import jobs_sweep
from genfans.studio.models import Job, JobStatus, TeamSlots
from tests.providers.fake_fal import serving_fal
from tests.providers.fake_higgsfield import serving_higgsfield
from tests.studio.conftest import make_team_client


def _generate(client, model, headers=None, **overrides):
    body = {
        "model_id": str(model.pk),
        "prompt": "on a rooftop at dusk",
        "num_images": 4,
        "width": 512,
        "height": 512,
        "quality": "draft",
        **overrides,
    }
    return client.post("/api/generate", body, content_type="application/json", headers=headers)


def _cost(**params):
    base = {"num_images": 4, "width": 512, "height": 512, "quality": "draft"}
    return estimate(operation="image_generation", params={**base, **params}).credits


def test_generate_four_images_charges_exactly_the_estimate(engine, team_client, reference_model):
    team, client = team_client
    response = _generate(client, reference_model)
    assert response.status_code == 202
    job = response.json()["job"]
    assert job["status"] == "queued"
    assert job["credits"] == {"estimated": _cost(), "reserved": _cost(), "charged": 0}
    assert credits_balance_get(team=team).reserved == _cost()

    engine.drain()

    done = client.get(f"/api/generate/{job['id']}").json()
    assert done["status"] == "succeeded"
    assert done["credits"]["charged"] == _cost()
    assert len(done["outputs"]) == 4
    for output in done["outputs"]:
        file = client.get(output["url"])
        assert file.status_code == 200
        assert b"".join(file.streaming_content).startswith(b"\xff\xd8")
        assert (output["width"], output["height"]) == (512, 512)
    balance = credits_balance_get(team=team)
    assert (balance.available, balance.reserved) == (550 - _cost(), 0)
    assert Asset.objects.filter(team=team, kind="image").count() == 4
    assert TeamSlots.objects.get(team=team).used == 0


def test_idempotency_key_returns_the_same_job_and_reserves_once(
    engine, team_client, reference_model
):
    team, client = team_client
    key = {"Idempotency-Key": "order-17"}
    first = _generate(client, reference_model, num_images=1, headers=key)
    again = _generate(client, reference_model, num_images=1, headers=key)
    assert first.status_code == again.status_code == 202
    assert first.json()["job"]["id"] == again.json()["job"]["id"]
    assert Job.objects.count() == 1
    assert credits_balance_get(team=team).reserved == _cost(num_images=1)
    other = _generate(client, reference_model, num_images=1, prompt="different", headers=key)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    engine.drain()


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"prompt": ""}, "validation_error"),
        ({"num_images": 9}, "validation_error"),
        ({"width": 500}, "invalid_params"),
        ({"width": 2048, "height": 2048}, "plan_feature_unavailable"),
        ({"quality": "ultra"}, "validation_error"),
        ({"model_id": "not-a-model"}, "invalid_params"),
    ],
)
def test_bad_requests_change_nothing(engine, team_client, reference_model, overrides, code):
    team, client = team_client
    response = _generate(client, reference_model, **overrides)
    assert response.status_code == (403 if code == "plan_feature_unavailable" else 400)
    assert response.json()["error"]["code"] == code
    assert Job.objects.count() == 0
    assert credits_balance_get(team=team).reserved == 0


def test_not_enough_credits_is_402_and_changes_nothing(engine, reference_model):
    team, client = make_team_client(Client, email="poor@example.com")
    response = _generate(
        client, reference_model, num_images=8, quality="high", width=1024, height=1024
    )
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "insufficient_credits"
    assert Job.objects.count() == 0
    assert credits_balance_get(team=team).available == 50


def test_injected_provider_failure_fails_and_releases_everything(
    engine, team_client, reference_model, settings
):
    settings.SANDBOX_FAILURE_RATE = 1.0
    team, client = team_client
    job_id = _generate(client, reference_model).json()["job"]["id"]
    engine.drain()
    job = client.get(f"/api/jobs/{job_id}").json()
    assert job["status"] == "failed"
    assert job["error"]["code"] == "provider_failed"
    assert job["credits"]["charged"] == 0
    balance = credits_balance_get(team=team)
    assert (balance.available, balance.reserved) == (550, 0)


def test_cancel_while_queued_releases(engine, team_client, reference_model):
    team, client = team_client
    job_id = _generate(client, reference_model).json()["job"]["id"]
    response = client.delete(f"/api/jobs/{job_id}")
    assert response.status_code == 200
    assert response.json()["status"] == "canceled"
    assert client.delete(f"/api/jobs/{job_id}").status_code == 409
    engine.drain()
    assert Job.objects.get().status == JobStatus.CANCELED
    assert credits_balance_get(team=team).available == 550
    assert TeamSlots.objects.get(team=team).used == 0


def test_plan_limits_concurrency_and_queue(engine, reference_model, settings):
    settings.SANDBOX_LATENCY_SECONDS = 60
    team, client = make_team_client(Client, email="free@example.com", credits=500)
    ids = [_generate(client, reference_model, num_images=1).json()["job"]["id"] for _ in range(5)]
    over = _generate(client, reference_model, num_images=1)
    assert over.status_code == 429
    assert over.json()["error"]["code"] == "too_many_queued_jobs"
    engine.drain(until=lambda: Job.objects.filter(status="running").exists())
    assert Job.objects.filter(status="running").count() == 1  # free plan: 1 at a time
    # One job left the queue for a slot, so one more may wait.
    assert _generate(client, reference_model, num_images=1).status_code == 202
    assert _generate(client, reference_model, num_images=1).status_code == 429
    positions = [client.get(f"/api/jobs/{i}").json()["queue_position"] for i in ids[1:]]
    assert positions == [1, 2, 3, 4]
    for job in Job.objects.filter(team=team):
        client.delete(f"/api/jobs/{job.pk}")
    engine.drain()


def test_other_teams_jobs_are_not_found(engine, team_client, reference_model):
    _, client = team_client
    job_id = _generate(client, reference_model, num_images=1).json()["job"]["id"]
    _, stranger = make_team_client(Client, email="stranger@example.com")
    assert stranger.get(f"/api/jobs/{job_id}").status_code == 404
    assert stranger.delete(f"/api/jobs/{job_id}").status_code == 404
    assert stranger.get("/api/jobs").json()["items"] == []
    engine.drain()


def test_job_list_filters_and_paginates(engine, team_client, reference_model):
    _, client = team_client
    for _ in range(3):
        _generate(client, reference_model, num_images=1)
    engine.drain()
    page = client.get("/api/jobs?limit=2&status=succeeded").json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = client.get(f"/api/jobs?limit=2&status=succeeded&cursor={page['next_cursor']}").json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert client.get("/api/jobs?status=failed").json()["items"] == []
    assert client.get("/api/jobs?type=bogus").status_code == 400


# --- through fal's protocol -----------------------------------------------------------------


@pytest.fixture
def fal(engine, settings):
    # Only webhooks (or the sweep) move these jobs.
    with serving_fal(settings, GENFANS_PROVIDER="fal", JOB_POLL_SECONDS=3600) as fake:
        yield fake


def _submitted(engine, fal):
    engine.drain(until=lambda: bool(fal.requests))
    return next(iter(fal.requests))


def _deliver(client, fal, request_id, **kwargs):
    url, headers, body = fal.webhook(request_id, **kwargs)
    path = url.removeprefix("http://testserver")
    return client.post(path, body, content_type="application/json", headers=headers)


def test_fal_webhook_completes_and_a_duplicate_charges_once(
    engine, fal, team_client, reference_model
):
    team, client = team_client
    job_id = _generate(client, reference_model, num_images=2).json()["job"]["id"]
    request_id = _submitted(engine, fal)
    sent = fal.requests[request_id].input
    assert sent["num_images"] == 2 and sent["prompt"].startswith("editorial fashion portrait")
    fal.complete(request_id, images=2, nsfw=(1,))
    anonymous = Client()
    assert _deliver(anonymous, fal, request_id).status_code == 200
    assert _deliver(anonymous, fal, request_id).status_code == 200
    engine.drain()
    job = Job.objects.get(pk=job_id)
    assert job.status == JobStatus.SUCCEEDED
    # The image withheld as NSFW is not charged.
    assert job.credits_charged == _cost(num_images=1)
    assert Asset.objects.filter(job=job).count() == 1
    assert _deliver(anonymous, fal, request_id).status_code == 200
    engine.drain()
    assert credits_balance_get(team=team).available == 550 - _cost(num_images=1)


def test_bad_and_unknown_fal_webhooks_are_rejected(engine, fal, team_client, reference_model):
    _, client = team_client
    _generate(client, reference_model, num_images=1)
    request_id = _submitted(engine, fal)
    fal.complete(request_id)
    anonymous = Client()
    assert _deliver(anonymous, fal, request_id, tamper=True).status_code == 400
    url, headers, body = fal.webhook(request_id)
    unknown = "/api/webhooks/fal?job=00000000-0000-0000-0000-000000000000"
    assert (
        anonymous.post(unknown, body, content_type="application/json", headers=headers).status_code
        == 404
    )
    assert Job.objects.get().status == JobStatus.RUNNING
    _deliver(anonymous, fal, request_id)
    engine.drain()


def test_cancel_while_running_cancels_at_fal_and_a_late_webhook_changes_nothing(
    engine, fal, team_client, reference_model
):
    team, client = team_client
    job_id = _generate(client, reference_model, num_images=1).json()["job"]["id"]
    request_id = _submitted(engine, fal)
    assert client.delete(f"/api/jobs/{job_id}").json()["status"] == "canceled"
    assert fal.requests[request_id].canceled
    fal.complete(request_id)
    assert _deliver(Client(), fal, request_id).status_code == 200
    engine.drain()
    assert Job.objects.get().status == JobStatus.CANCELED
    assert Asset.objects.count() == 0
    assert credits_balance_get(team=team).available == 550


def test_fal_5xx_retries_with_backoff_then_succeeds(engine, fal, team_client, reference_model):
    fal.fail_submits = 2
    _, client = team_client
    job_id = _generate(client, reference_model, num_images=1).json()["job"]["id"]
    request_id = _submitted(engine, fal)
    assert Job.objects.get(pk=job_id).attempts == 2
    fal.complete(request_id)
    _deliver(Client(), fal, request_id)
    engine.drain()
    assert Job.objects.get(pk=job_id).status == JobStatus.SUCCEEDED


def test_fal_5xx_beyond_the_limit_fails_and_releases(
    engine, fal, team_client, reference_model, settings
):
    settings.JOB_MAX_ATTEMPTS = 3
    fal.fail_submits = 10
    team, client = team_client
    job_id = _generate(client, reference_model, num_images=1).json()["job"]["id"]
    engine.drain()
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.error_code) == (JobStatus.FAILED, "provider_http_error")
    assert credits_balance_get(team=team).available == 550


def test_completed_with_error_fails_and_releases(engine, fal, team_client, reference_model):
    team, client = team_client
    _generate(client, reference_model, num_images=1)
    request_id = _submitted(engine, fal)
    fal.fail(request_id, "GPU fell over")
    _deliver(Client(), fal, request_id)
    engine.drain()
    assert Job.objects.get().status == JobStatus.FAILED
    assert credits_balance_get(team=team).available == 550


def test_without_a_webhook_the_sweep_polls_the_job_to_the_end(
    engine, fal, team_client, reference_model, settings
):
    settings.JOB_SWEEP_GRACE_SECONDS = 0
    _, client = team_client
    _generate(client, reference_model, num_images=1)
    request_id = _submitted(engine, fal)
    fal.complete(request_id)
    from django.utils import timezone

    Job.objects.update(next_attempt_at=timezone.now() - timezone.timedelta(seconds=1))
    assert jobs_sweep()["resumed"] == 1
    engine.drain()
    assert Job.objects.get().status == JobStatus.SUCCEEDED


def test_storage_failure_while_copying_outputs_retries(
    engine, fal, team_client, reference_model, monkeypatch
):
    from django.core.files.storage import default_storage

    _, client = team_client
    _generate(client, reference_model, num_images=1)
    request_id = _submitted(engine, fal)
    fal.complete(request_id)
    real_save = default_storage.save
    failures = iter([OSError("disk full")])

    def flaky_save(*args, **kwargs):
        error = next(failures, None)
        if error:
            raise error
        return real_save(*args, **kwargs)

    monkeypatch.setattr(default_storage, "save", flaky_save)
    _deliver(Client(), fal, request_id)
    engine.drain()
    job = Job.objects.get()
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 1)
    assert Asset.objects.filter(job=job).count() == 1


def test_fake_fal_speaks_http(fal):
    assert httpx.get(f"{fal.url}/.well-known/jwks.json").json()["keys"]
    assert json.loads(json.dumps(fal.jwks()))


# --- through Higgsfield's protocol ----------------------------------------------------------


@pytest.fixture
def higgsfield(engine, settings):
    with serving_higgsfield(settings, GENFANS_PROVIDER="higgsfield", JOB_POLL_SECONDS=3600) as fake:
        yield fake


def test_higgsfield_webhook_needs_the_job_token_and_is_re_read(
    engine, higgsfield, team_client, reference_model
):
    team, client = team_client
    job_id = _generate(client, reference_model, num_images=2).json()["job"]["id"]
    engine.drain(until=lambda: bool(higgsfield.requests))
    request = next(iter(higgsfield.requests.values()))
    path = request.webhook_url.removeprefix("http://testserver")
    anonymous = Client()
    forged = path.replace("token=", "token=x")
    assert (
        anonymous.post(forged, {"status": "completed"}, content_type="application/json").status_code
        == 404
    )
    # A webhook that claims completion is not trusted: Higgsfield still says in progress.
    higgsfield.set_status(request.request_id, "in_progress")
    assert (
        anonymous.post(path, {"status": "completed"}, content_type="application/json").status_code
        == 200
    )
    engine.drain(until=lambda: Job.objects.get(pk=job_id).progress > 5)
    assert Job.objects.get(pk=job_id).status == JobStatus.RUNNING
    # SOUL makes one image per request here, so two images are two requests of one job.
    higgsfield.complete(request.request_id, images=1)
    anonymous.post(path, {"status": "completed"}, content_type="application/json")
    engine.drain(until=lambda: len(higgsfield.requests) == 2)
    assert Job.objects.get(pk=job_id).progress >= 50
    second = [r for r in higgsfield.requests.values() if r is not request][0]
    higgsfield.complete(second.request_id, images=1)
    anonymous.post(path, {"status": "completed"}, content_type="application/json")
    engine.drain()
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.credits_charged) == (JobStatus.SUCCEEDED, _cost(num_images=2))
    assert Asset.objects.filter(job=job).count() == 2
    assert [r.input["batch_size"] for r in (request, second)] == [1, 1]
    assert second.input["seed"] == request.input["seed"] + 1


def test_when_workers_are_scarce_the_higher_priority_plan_starts_first(engine, reference_model):
    free, free_client = make_team_client(Client, email="free@example.com", credits=100)
    starter, starter_client = make_team_client(
        Client, email="starter@example.com", credits=100, plan="starter"
    )
    # The free team asks first; one worker then takes the starter team's work first.
    free_job = _generate(free_client, reference_model, num_images=1).json()["job"]["id"]
    starter_job = _generate(starter_client, reference_model, num_images=1).json()["job"]["id"]
    engine.drain()
    first, second = Job.objects.filter(pk__in=[free_job, starter_job]).order_by("started_at")
    assert (first.team, second.team) == (starter, free)
    assert (first.priority, second.priority) == (1, 0)
