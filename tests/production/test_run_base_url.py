"""`genfans run --port P` with BASE_URL unset builds the links its worker emails on the address it
serves, so the reset link in the email opens."""

import re

from tests.production.processes import (
    Deployment,
    command_env,
    free_port,
    genfans_start,
    stop,
    wait_healthy,
)

EMAIL = "runner@example.com"


def test_run_without_base_url_emails_links_on_the_port_it_serves(tmp_path):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = tmp_path / "run.log"
    env = command_env(tmp_path, WORKER_POLL_INTERVAL="0.1", LOG_LEVEL="INFO")
    assert "BASE_URL" not in env
    run = genfans_start(tmp_path, "run", "--port", str(port), env=env, log=log)
    try:
        wait_healthy(base_url, run, log)
        app = Deployment(base_url, log)
        assert app.request("GET", "/api/auth/csrf").status_code == 200
        body = {"email": EMAIL, "password": "a-long-runner-passphrase"}
        assert app.request("POST", "/api/auth/sign-up", json=body).status_code == 201
        asked = app.request("POST", "/api/auth/password-reset", json={"email": EMAIL})
        assert asked.status_code == 202
        link = app.emailed_link(rf"{re.escape(base_url)}/reset-password/[^/\s]+/[^/\s]+", 1)
        page = app.request("GET", link[0].removeprefix(base_url))
        assert page.status_code == 200
        assert ":8000" not in log.read_text()
    finally:
        stop(run)
