"""Query budgets: the SQL a request costs does not grow with the rows it returns (no N+1), and
the per-job cost of the whole pipeline (submit → dispatch → advance → finish) is pinned.

A list or detail is requested with one row, then with more; both must cost the same number of
queries. Deterministic, so it runs in `make test` on SQLite and PostgreSQL.
"""

import itertools
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from genfans.catalog.models import ReferenceModel
from genfans.credits.services import credits_grant
from genfans.storage.models import Asset
from genfans.studio.models import (
    CustomModel,
    CustomModelStatus,
    Job,
    JobStatus,
    JobType,
    ModelVersion,
    ModelVersionKind,
    ModelVersionStatus,
)
from genfans.teams.activity import activity_record
from genfans.teams.models import Action, Invitation, TeamMember
from tests.factories import make_api_key, make_member, make_user
from tests.studio.conftest import make_team_client

FEW, MANY = 1, 5
_n = itertools.count()


# --- rows ---------------------------------------------------------------------------------


def _reference_model() -> ReferenceModel:
    i = next(_n)
    return ReferenceModel.objects.create(
        slug=f"budget-{i}", name=f"Budget {i}", category="fashion", base_prompt="portrait"
    )


def _asset(team, job=None, kind="image") -> Asset:
    return Asset.objects.create(
        team=team,
        job=job,
        kind=kind,
        storage_key=f"teams/{team.pk}/{kind}/{uuid.uuid4()}.jpg",
        content_type="image/jpeg",
        width=512,
        height=512,
        bytes=1000,
    )


def _job(team, *, outputs: int = 1) -> Job:
    job = Job.objects.create(
        team=team,
        type=JobType.IMAGE_GENERATION,
        status=JobStatus.SUCCEEDED,
        progress=100,
        params={"prompt": "budget", "num_images": outputs},
        credits_estimated=5,
        credits_reserved=5,
        credits_charged=5,
    )
    for _ in range(outputs):
        _asset(team, job)
    return job


def _custom_model(team, *, versions: int = 1) -> CustomModel:
    model = CustomModel.objects.create(
        team=team,
        reference_model=_reference_model(),
        name=f"Persona {next(_n)}",
        status=CustomModelStatus.READY,
        trigger_word=f"tok{next(_n)}",
    )
    version = None
    for number in range(1, versions + 1):
        version = ModelVersion.objects.create(
            model=model,
            number=number,
            parent=version,
            kind=ModelVersionKind.CREATION if number == 1 else ModelVersionKind.REFINEMENT,
            status=ModelVersionStatus.READY,
            trigger_word=model.trigger_word,
        )
    model.current_version = version
    model.save()
    return model


# A list case adds `count` rows of what the endpoint lists; a detail case returns the URL of
# one object with `count` children.
LISTS = {
    "GET /api/jobs": ("/api/jobs", lambda team, user, count: [_job(team) for _ in range(count)]),
    "GET /api/assets": (
        "/api/assets",
        lambda team, user, count: [_asset(team, _job(team, outputs=0)) for _ in range(count)],
    ),
    "GET /api/credits/history": (
        "/api/credits/history",
        lambda team, user, count: [
            credits_grant(team=team, amount=5, idempotency_key=str(uuid.uuid4()))
            for _ in range(count)
        ],
    ),
    "GET /api/reference-models": (
        "/api/reference-models",
        lambda team, user, count: [_reference_model() for _ in range(count)],
    ),
    "GET /api/api-keys": (
        "/api/api-keys",
        lambda team, user, count: [make_api_key(team=team, user=user) for _ in range(count)],
    ),
    "GET /api/team/members": (
        "/api/team/members",
        lambda team, user, count: [make_member(team=team) for _ in range(count)],
    ),
    "GET /api/team/invitations": (
        "/api/team/invitations",
        lambda team, user, count: [
            Invitation.objects.create(team=team, email=f"i{next(_n)}@example.com", invited_by=user)
            for _ in range(count)
        ],
    ),
    "GET /api/team/activity": (
        "/api/team/activity",
        lambda team, user, count: [
            activity_record(action=Action.GENERATE, team=team, user=user, metadata={"n": i})
            for i in range(count)
        ],
    ),
    "GET /api/models": (
        "/api/models",
        lambda team, user, count: [_custom_model(team) for _ in range(count)],
    ),
    "GET /api/team": (
        "/api/team",
        lambda team, user, count: [make_member(team=team) for _ in range(count)],
    ),
    "GET /api/user": (
        "/api/user",
        lambda team, user, count: [
            TeamMember.objects.create(team=make_user().memberships.get().team, user=user)
            for _ in range(count)
        ],
    ),
    "GET /api/billing": (
        "/api/billing",
        lambda team, user, count: [
            credits_grant(team=team, amount=5, idempotency_key=str(uuid.uuid4()))
            for _ in range(count)
        ],
    ),
    "GET /api/credits/balance": (
        "/api/credits/balance",
        lambda team, user, count: [
            credits_grant(team=team, amount=5, idempotency_key=str(uuid.uuid4()))
            for _ in range(count)
        ],
    ),
}

DETAILS = {
    "GET /api/jobs/{id}": lambda team, count: f"/api/jobs/{_job(team, outputs=count).pk}",
    "GET /api/generate/{id}": lambda team, count: f"/api/generate/{_job(team, outputs=count).pk}",
    "GET /api/models/{id}": lambda team, count: (
        f"/api/models/{_custom_model(team, versions=count).pk}"
    ),
    "GET /api/reference-models/{id}": lambda team, count: (
        f"/api/reference-models/{_reference_model().pk}"
    ),
    "GET /api/uploads/{id}": lambda team, count: f"/api/uploads/{_asset(team, kind='upload').pk}",
}


def _queries(client, url) -> int:
    client.get(url)  # warm whatever is cached per process (content types, JWKS, …)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return len(captured.captured_queries)


@pytest.fixture
def signed_in(db):
    user = make_user(email=f"budget{next(_n)}@example.com")
    team = user.memberships.get().team
    client = Client()
    client.force_login(user)
    return team, user, client


@pytest.mark.parametrize("name", sorted(LISTS))
def test_list_costs_the_same_queries_for_one_row_and_many(signed_in, name):
    team, user, client = signed_in
    url, add = LISTS[name]
    add(team, user, FEW)
    few = _queries(client, url)
    add(team, user, MANY - FEW)
    many = _queries(client, url)
    assert many == few, f"{name}: {few} queries with {FEW} row(s), {many} with {MANY}"


@pytest.mark.parametrize("name", sorted(DETAILS))
def test_detail_costs_the_same_queries_for_one_child_and_many(signed_in, name):
    team, _, client = signed_in
    few = _queries(client, DETAILS[name](team, FEW))
    many = _queries(client, DETAILS[name](team, MANY))
    assert many == few, f"{name}: {few} queries with {FEW} child(ren), {many} with {MANY}"


def test_status_poll_with_an_api_key_costs_one_query(db):
    """The hottest path (every client polls it): the job, its key being cached by the first
    request. A running image job has no outputs yet, so there is no query for them."""
    user = make_user(email="poller@example.com")
    team = user.memberships.get().team
    client = Client(headers={"Authorization": f"Bearer {make_api_key(team=team, user=user)}"})
    job = Job.objects.create(team=team, type=JobType.IMAGE_GENERATION, status=JobStatus.RUNNING)
    client.get(f"/api/jobs/{job.pk}")
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/api/jobs/{job.pk}").status_code == 200
    assert len(captured.captured_queries) == 1, [q["sql"][:80] for q in captured.captured_queries]


# --- the pipeline -------------------------------------------------------------------------

# Queries per image job from submit to succeeded through the sandbox, worker bookkeeping
# (claiming and finishing task rows, transaction brackets) excluded. Change it on purpose.
# PostgreSQL appends ledger rows in the balance UPDATE's statement (two fewer per job).
# Two more since the money rules of issue 12: the reservation reads the balance under its lock
# (how much of the hold is plan credits), and the submit reads the submitter's spend limit.
# One more since issue 15: the submit is marked as sent before it goes out, so a submit whose
# answer is lost is never sent twice.
PIPELINE_QUERIES_PER_JOB = {"postgresql": 40, "sqlite": 42}


# The test's own "has everything settled?" check, run between worker passes.
DRAIN_CHECK = 'SELECT 1 AS "a" FROM "studio_job" WHERE NOT'


def _engine_queries(captured) -> int:
    skipped = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")
    return sum(
        1
        for query in captured.captured_queries
        if not query["sql"].startswith(skipped)
        and '"django_tasks_database_dbtaskresult"' not in query["sql"]
        and not query["sql"].startswith(DRAIN_CHECK)
    )


def _run_jobs(engine, reference_model, teams: int) -> int:
    clients = [
        make_team_client(Client, email=f"pipe{next(_n)}@example.com", credits=500)[1]
        for _ in range(teams)
    ]
    engine.drain()  # sign-up's verification emails are sent before the measured jobs
    body = {
        "model_id": str(reference_model.pk),
        "prompt": "budget",
        "num_images": 1,
        "width": 512,
        "height": 512,
        "quality": "draft",
    }
    with CaptureQueriesContext(connection) as captured:
        for client in clients:
            response = client.post("/api/generate", body, content_type="application/json")
            assert response.status_code == 202
        engine.drain()
    assert Job.objects.filter(status=JobStatus.SUCCEEDED).count() >= teams
    return _engine_queries(captured)


def test_pipeline_queries_per_job_are_pinned(engine, reference_model):
    _run_jobs(engine, reference_model, teams=1)  # first use: per-process caches fill
    one = _run_jobs(engine, reference_model, teams=1)
    three = _run_jobs(engine, reference_model, teams=3)
    assert three == 3 * one, f"one job: {one} queries; three jobs: {three}"
    assert one == PIPELINE_QUERIES_PER_JOB[connection.vendor], f"one job now costs {one} queries"
