"""/readyz, as a load balancer meets it: 200 while the database and storage answer, 503 naming
the failing check (and never the error's text) when one does not."""

from unittest import mock

import pytest
from botocore.config import Config
from django.db import OperationalError, connection

from tests.production.processes import free_port
from tests.storage.test_s3 import s3_storages


def test_ready_when_database_and_storage_answer(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}


def test_database_down_is_503_and_storage_is_still_checked(client, db):
    refused = OperationalError('connection to server at "db" failed: password=hunter2')
    with mock.patch.object(connection, "cursor", side_effect=refused):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "error: OperationalError", "storage": "ok"},
    }
    assert b"hunter2" not in response.content


def test_storage_unreachable_is_503(client, db, settings):
    nothing_listens = f"http://127.0.0.1:{free_port()}"
    settings.STORAGES = s3_storages(
        nothing_listens, client_config=Config(connect_timeout=1, retries={"total_max_attempts": 1})
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "storage": "error: EndpointConnectionError"},
    }


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_get_only(client, db, path):
    assert client.post(path).status_code == 405
