import time

import pytest

from genfans.catalog.models import ReferenceModel
from genfans.credits.audit import ledger_audit
from genfans.studio.models import FINAL_STATUSES, Job
from tests.credits.factories import give_credits
from tests.factories import make_api_key, make_user
from tests.workers import db_worker


class InlineWorker:
    """The real database worker, run in the test's thread until the jobs settle."""

    def __init__(self) -> None:
        self.worker = db_worker(name="test-worker", batch=True, interval=0)

    def drain(self, until=None, timeout: float = 15.0) -> None:
        until = until or (lambda: not Job.objects.exclude(status__in=FINAL_STATUSES).exists())
        deadline = time.monotonic() + timeout
        while True:
            self.worker.run()
            if until():
                return
            if time.monotonic() > deadline:
                raise AssertionError("the jobs did not settle in time")
            time.sleep(0.01)


@pytest.fixture
def engine(settings, transactional_db):
    """Real commits (on_commit fires), the database task backend, no sandbox latency."""
    settings.SANDBOX_LATENCY_SECONDS = 0
    settings.SANDBOX_FAILURE_RATE = 0
    settings.GENFANS_PROVIDER = "sandbox"
    settings.JOB_RETRY_BASE_SECONDS = 0.01
    settings.JOB_POLL_SECONDS = 0.05
    settings.BASE_URL = "http://testserver"
    yield InlineWorker()
    assert ledger_audit() == []


@pytest.fixture
def reference_model(transactional_db):
    return ReferenceModel.objects.create(
        slug="ava-fashion",
        name="Ava",
        category="fashion",
        base_prompt="editorial fashion portrait of Ava",
    )


def make_team_client(client_class, *, email: str, credits: int = 0, plan: str | None = None):
    from genfans.billing.models import Plan

    user = make_user(email=email)
    team = user.memberships.get().team
    if plan:
        team.plan = Plan.objects.get(code=plan)
        team.subscription_status = "active"
        team.save()
    if credits:
        give_credits(team, credits)
    client = client_class(headers={"Authorization": f"Bearer {make_api_key(team=team, user=user)}"})
    return team, client


@pytest.fixture
def team_client(engine):
    from django.test import Client

    return make_team_client(Client, email="studio@example.com", credits=500)


@pytest.fixture
def pro_team_client(engine):
    """A team on the Pro plan, which runs video and face swap."""
    from django.test import Client

    return make_team_client(Client, email="studio@example.com", credits=500, plan="pro")
