"""The README's production steps, as a deployment runs them: `genfans migrate`, `genfans seed`,
then `genfans serve` and `genfans worker` as real processes with DEBUG off, no Redis and a
fresh database (a SQLite file, and a PostgreSQL database of its own). Over HTTP a person signs
up, verifies the address and signs in, resets the password from the emailed link, a signed
Stripe event arrives, and an API key runs an image job to the end. Nothing answers 5xx, no
process logs a traceback, and no step is done by hand."""

import json
import os
import re
import time

import psycopg
import pytest
import stripe
from django.conf import settings

from tests.production.processes import (
    Deployment,
    command_env,
    free_port,
    genfans,
    genfans_start,
    stop,
    wait_for,
    wait_healthy,
)

WEBHOOK_SECRET = "whsec_production_boot"
EMAIL = "founder@example.com"
PASSWORD = "a-long-first-passphrase"
NEW_PASSWORD = "a-long-second-passphrase"


@pytest.fixture
def postgres_url():
    """A database of this test's own on the PostgreSQL pass's server, dropped afterwards."""
    db = settings.DATABASES["default"]
    server = {"host": db["HOST"], "port": db["PORT"] or 5432, "user": db["USER"]}
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    name = f"genfans_boot_{os.getpid()}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.sqlite),
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'genfans.sqlite3'}"
    return request.getfixturevalue("postgres_url")


def test_the_production_steps_serve_every_journey(tmp_path, database_url):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = command_env(
        tmp_path,
        DEBUG="false",
        AUTH_SECRET="production-boot-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        BASE_URL=base_url,
        DATABASE_URL=database_url,
        EMAIL_BACKEND="console",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        GENFANS_PROVIDER="sandbox",
        SANDBOX_LATENCY_SECONDS="0.2",
        WORKER_POLL_INTERVAL="0.1",
        LOG_LEVEL="INFO",
    )
    genfans(tmp_path, "migrate", "--no-input", env=env)
    genfans(tmp_path, "seed", env=env)
    serve_log, worker_log = tmp_path / "serve.log", tmp_path / "worker.log"
    serve = genfans_start(
        tmp_path,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        env=env,
        log=serve_log,
    )
    worker = genfans_start(tmp_path, "worker", env=env, log=worker_log)
    try:
        wait_healthy(base_url, serve, serve_log)
        app = Deployment(base_url, worker_log)
        _api_docs_offline(app)
        _not_found_and_favicon(app)
        _accounts(app, base_url)
        _stripe_event(app)
        _image_job(app)
        assert worker.poll() is None, worker_log.read_text()
    finally:
        stop(serve)
        stop(worker)
    for log in (serve_log, worker_log):
        assert "Traceback" not in log.read_text(), log.read_text()


def _api_docs_offline(app: Deployment) -> None:
    """Swagger UI comes from the collected static files (hashed names, served by WhiteNoise),
    so /api/docs works without network."""
    html = app.request("GET", "/api/docs").text
    assets = re.findall(r'<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"', html)
    assert any(re.fullmatch(r"/static/ninja/swagger-ui-bundle\.\w+\.js", a) for a in assets), html
    for asset in assets:
        assert asset.startswith("/static/"), asset
        served = app.request("GET", asset)
        assert served.status_code == 200 and served.content, asset


def _not_found_and_favicon(app: Deployment) -> None:
    missing = app.request("GET", "/no-such-page")
    assert missing.status_code == 404 and "Page not found" in missing.text
    icon = re.search(r'<link rel="icon" href="([^"]+)"', missing.text)[1]
    assert app.request("GET", icon).headers["Content-Type"] == "image/svg+xml"
    redirect = app.request("GET", "/favicon.ico")
    assert redirect.status_code == 302 and redirect.headers["Location"] == icon


def _accounts(app: Deployment, base_url: str) -> None:
    assert app.request("GET", "/api/auth/csrf").status_code == 200
    sign_up = app.request("POST", "/api/auth/sign-up", json={"email": EMAIL, "password": PASSWORD})
    assert sign_up.status_code == 201, sign_up.text
    token = app.emailed_link(rf"{re.escape(base_url)}/verify-email/(\S+)", 1)[1]
    assert app.request("POST", "/api/auth/verify-email", json={"token": token}).status_code == 200
    assert app.request("POST", "/api/auth/sign-out").status_code == 204

    wrong = app.request("POST", "/api/auth/sign-in", json={"email": EMAIL, "password": "nope"})
    assert wrong.status_code == 401
    signed_in = app.request(
        "POST", "/api/auth/sign-in", json={"email": EMAIL, "password": PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text

    asked = app.request("POST", "/api/auth/password-reset", json={"email": EMAIL})
    assert asked.status_code == 202
    uid, token = app.emailed_link(
        rf"{re.escape(base_url)}/reset-password/([^/\s]+)/([^/\s]+)", 1
    ).groups()
    confirm = {"uid": uid, "token": token, "password": NEW_PASSWORD}
    assert app.request("POST", "/api/auth/password-reset/confirm", json=confirm).status_code == 204
    again = app.request(
        "POST", "/api/auth/sign-in", json={"email": EMAIL, "password": NEW_PASSWORD}
    )
    assert again.status_code == 200, again.text


def _stripe_event(app: Deployment) -> None:
    event = {
        "id": "evt_production_boot",
        "object": "event",
        "type": "customer.created",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": {"id": "cus_production_boot", "object": "customer"}},
    }
    payload = json.dumps(event)
    signature = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
    response = app.request(
        "POST",
        "/api/stripe/webhook",
        content=payload,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    forged = app.request(
        "POST",
        "/api/stripe/webhook",
        content=payload,
        headers={"Stripe-Signature": "t=1,v1=00", "Content-Type": "application/json"},
    )
    assert 400 <= forged.status_code < 500


def _image_job(app: Deployment) -> None:
    created = app.request("POST", "/api/api-keys", json={"name": "boot"})
    assert created.status_code == 201, created.text
    bearer = {"Authorization": f"Bearer {created.json()['key']}"}
    models = app.request("GET", "/api/reference-models", headers=bearer)
    assert models.status_code == 200, models.text
    body = {
        "model_id": models.json()["items"][0]["id"],
        "prompt": "a lighthouse in a storm",
        "width": 512,
        "height": 512,
        "quality": "draft",
    }
    submitted = app.request("POST", "/api/generate", json=body, headers=bearer)
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["job"]["id"]

    def finished():
        job = app.request("GET", f"/api/jobs/{job_id}", headers=bearer).json()
        return job if job["status"] in {"succeeded", "failed", "cancelled"} else None

    job = wait_for(finished, timeout=30, what="the image job")
    assert job["status"] == "succeeded", job
    assert len(job["outputs"]) == 1
