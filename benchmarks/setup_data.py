"""Creates benchmark data inside the app and prints what the load needs as one JSON line.

Run by benchmarks/bench.py with the benchmark's environment (DATABASE_URL, settings).
The data goes through the real services (sign-up, team creation, grants, job_submit) except
where only rows are needed to be read back (polling) or locked (ledger).
"""

import json
import os
import sys
import uuid
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402
from tests.factories import make_api_key, make_user  # noqa: E402

from genfans.billing.models import Plan  # noqa: E402
from genfans.catalog.models import ReferenceModel  # noqa: E402
from genfans.credits.services import credits_grant  # noqa: E402
from genfans.storage.models import Asset  # noqa: E402
from genfans.studio.engine.services import job_submit  # noqa: E402
from genfans.studio.models import Job, JobStatus, JobType, TeamSlots  # noqa: E402
from genfans.teams.services import team_create  # noqa: E402

PLAN = "studio"


def _owner():
    from genfans.accounts.models import User

    user = User.objects.filter(email="bench@example.com").first()
    return user or make_user(email="bench@example.com")


def _team(name: str, *, credits: int):
    """A team on the top plan with the queue limit lifted: the bench measures the engine,
    not the plan's limits."""
    Plan.objects.filter(code=PLAN).update(max_queued_jobs=30_000)
    owner = _owner()
    with transaction.atomic():
        team = team_create(owner=owner, name=name)
        team.plan = Plan.objects.get(code=PLAN)
        team.subscription_status = "active"
        team.save()
    if credits:
        credits_grant(team=team, amount=credits, idempotency_key=f"bench:{team.pk}")
    return team


def _reference_model() -> ReferenceModel:
    return ReferenceModel.objects.filter(is_active=True).order_by("slug").first()


def polling(job_count: int) -> dict:
    """A team with `job_count` finished jobs (one image each) and one running job to poll."""
    team = _team("bench polling", credits=0)
    key = make_api_key(team=team, user=_owner())
    jobs = Job.objects.bulk_create(
        Job(
            team=team,
            type=JobType.IMAGE_GENERATION,
            status=JobStatus.SUCCEEDED,
            progress=100,
            params={"prompt": f"bench {i}", "num_images": 1, "width": 512, "height": 512},
            credits_estimated=5,
            credits_reserved=5,
            credits_charged=5,
        )
        for i in range(job_count)
    )
    Asset.objects.bulk_create(
        Asset(
            team=team,
            job=job,
            kind="image",
            storage_key=f"teams/{team.pk}/image/{uuid.uuid4()}.jpg",
            content_type="image/jpeg",
            width=512,
            height=512,
            bytes=40_000,
        )
        for job in jobs
    )
    running = Job.objects.create(
        team=team,
        type=JobType.IMAGE_GENERATION,
        status=JobStatus.RUNNING,
        progress=40,
        params={"prompt": "bench running", "num_images": 1, "width": 512, "height": 512},
        credits_estimated=5,
        credits_reserved=5,
    )
    return {"key": key, "job_id": str(running.pk)}


def submission() -> dict:
    """Two teams with plenty of credits: one for the API, one for the raw-SQL floor."""
    keys = {}
    for name in ("api", "floor"):
        team = _team(f"bench submit {name}", credits=10**9)
        # The slot row a team's first submit creates: the floor's SQL locks it, never makes it.
        TeamSlots.objects.create(team=team)
        keys[name] = make_api_key(team=team, user=_owner())
    body = {
        "model_id": str(_reference_model().pk),
        "prompt": "a lighthouse at dawn",
        "num_images": 1,
        "width": 512,
        "height": 512,
        "quality": "draft",
    }
    return {"keys": keys, "body": json.dumps(body)}


def pipeline(run: int, job_count: int, team_count: int) -> dict:
    """`job_count` one-image jobs spread over `team_count` new teams, submitted through the
    service (reserved, queued, a dispatch task each) while no worker runs."""
    teams = [_team(f"{pipeline_prefix(run)}{i}", credits=10**6) for i in range(team_count)]
    model_id = str(_reference_model().pk)
    user = _owner()
    for i in range(job_count):
        job_submit(
            team=teams[i % team_count],
            user=user,
            job_type=JobType.IMAGE_GENERATION,
            params={
                "model_id": model_id,
                "prompt": f"pipeline job {i}",
                "num_images": 1,
                "width": 512,
                "height": 512,
                "quality": "draft",
            },
        )
    return {"jobs": job_count, "teams": team_count, "prefix": pipeline_prefix(run)}


def pipeline_prefix(run: int) -> str:
    return f"bench pipeline r{run} t"


def pipeline_status(run: int) -> dict:
    """How the run ended, from the job rows (the source of truth)."""
    from django.db.models import Count, Max, Min

    from genfans.credits.audit import ledger_audit

    jobs = Job.objects.filter(team__name__startswith=pipeline_prefix(run))
    by_status = dict(jobs.values_list("status").annotate(n=Count("id")).order_by())
    window = jobs.filter(status=JobStatus.SUCCEEDED).aggregate(
        first=Min("started_at"), last=Max("finished_at")
    )
    span = (
        (window["last"] - window["first"]).total_seconds()
        if window["first"] and window["last"]
        else None
    )
    return {"by_status": by_status, "span_seconds": span, "audit_problems": len(ledger_audit())}


def ledger(job_count: int) -> dict:
    """One team with a large balance and `job_count` running jobs without a reservation;
    the load reserves and captures them from many clients at once."""
    team = _team("bench ledger", credits=10**9)
    jobs = Job.objects.bulk_create(
        Job(
            team=team,
            type=JobType.IMAGE_GENERATION,
            status=JobStatus.RUNNING,
            params={"prompt": "ledger"},
            credits_estimated=1,
            credits_reserved=1,
        )
        for _ in range(job_count)
    )
    path = Path(settings.BENCH_DIR) / "ledger-jobs.txt"
    path.write_text("\n".join(str(job.pk) for job in jobs))
    return {"team_id": str(team.pk), "jobs_file": str(path)}


if __name__ == "__main__":
    fixtures = {
        "polling": polling,
        "submission": submission,
        "pipeline": pipeline,
        "pipeline_status": pipeline_status,
        "ledger": ledger,
    }
    name, *args = sys.argv[1:]
    print(json.dumps(fixtures[name](*(int(a) for a in args)), default=str))
