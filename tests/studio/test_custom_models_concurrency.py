"""Refinements of one model racing on PostgreSQL: one wins, the rest change nothing."""

import threading

import pytest
from django.db import connection

from genfans.credits.selectors import credits_balance_get
from genfans.studio.custom_models import custom_model_refine
from genfans.studio.errors import ModelBusy
from genfans.studio.models import Job, ModelVersion
from tests.studio.helpers import create_model, uploads

pytestmark = pytest.mark.postgres


def test_concurrent_refinements_create_one_version_and_reserve_once(
    engine, team_client, reference_model, settings
):
    team, client = team_client
    model_id = create_model(client, reference_model, uploads(client, 4)).json()["model"]["id"]
    engine.drain()
    settings.SANDBOX_LATENCY_SECONDS = 60  # keep the winner training while the others try
    available = credits_balance_get(team=team).available
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def refine(n: int) -> None:
        try:
            barrier.wait()
            custom_model_refine(team=team, user=None, model_id=model_id, instructions=f"take {n}")
            outcomes.append("ok")
        except ModelBusy:
            outcomes.append("busy")
        finally:
            connection.close()

    threads = [threading.Thread(target=refine, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["busy", "busy", "busy", "ok"]
    versions = ModelVersion.objects.filter(model_id=model_id).order_by("number")
    assert [(v.number, v.status) for v in versions] == [(1, "ready"), (2, "training")]
    job = Job.objects.get(type="model_refinement")
    balance = credits_balance_get(team=team)
    assert (balance.available, balance.reserved) == (
        available - job.credits_reserved,
        job.credits_reserved,
    )
    client.delete(f"/api/jobs/{job.pk}")
    engine.drain()
