"""The benchmark floors: the least a Django view can do for the same answer.

Mounted only by benchmarks/urls.py (the URLconf of benchmarks/settings.py), so `make bench` can
compare the real endpoints with bare views on the same server:
- a status poll: one row fetched by primary key, returned as JSON;
- a submission: the whole `POST /api/generate` transaction (key lookup, slot lock, queue
  limit, balance update, job, ledger row, reservation, activity, dispatch task) written as one
  SQL statement, so it costs one round trip.
PostgreSQL only; never mounted in a real deployment.
"""

import json
import secrets
import uuid

from django.db import connection
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from genfans.accounts.models import ApiKey
from genfans.studio.models import Job


def job_floor(request, job_id):
    row = Job.objects.filter(pk=job_id).values("id", "status", "progress").first()
    if row is None:
        raise Http404
    return JsonResponse(
        {"id": str(row["id"]), "status": row["status"], "progress": row["progress"]}
    )


SUBMIT_SQL = """
WITH key AS (
    SELECT team_id, created_by_id FROM accounts_apikey
    WHERE hash = %(hash)s AND revoked_at IS NULL
), slots AS (
    SELECT s.team_id FROM studio_teamslots s JOIN key ON key.team_id = s.team_id FOR UPDATE
), queued AS (
    SELECT count(*) AS n FROM studio_job j JOIN key ON key.team_id = j.team_id
    WHERE j.status = 'queued'
), balance AS (
    UPDATE credits_creditbalance b
    SET available = available - %(amount)s, reserved = reserved + %(amount)s, updated_at = now()
    FROM key
    WHERE b.team_id = key.team_id AND b.available >= %(amount)s
      AND EXISTS (SELECT 1 FROM slots) AND (SELECT n FROM queued) < %(max_queued)s
    RETURNING b.team_id, b.available, b.reserved
), job AS (
    INSERT INTO studio_job (
        id, created_at, updated_at, team_id, user_id, type, status, priority, params,
        credits_estimated, credits_reserved, credits_charged, provider, endpoint,
        provider_request_id, webhook_token, attempts, progress, error_code, error_message
    )
    SELECT %(job_id)s, now(), now(), balance.team_id, key.created_by_id, 'image_generation',
        'queued', 3, %(params)s, %(amount)s, %(amount)s, 0, 'sandbox', 'image_generation',
        '', %(token)s, 0, 0, '', ''
    FROM balance, key
    RETURNING id, team_id, created_at
), ledger AS (
    INSERT INTO credits_credittransaction (
        id, created_at, updated_at, team_id, kind, amount, available_after, reserved_after,
        job_id, reference, idempotency_key, reason
    )
    SELECT gen_random_uuid(), now(), now(), job.team_id, 'reserve', %(amount)s,
        balance.available, balance.reserved, job.id, '', 'job:' || job.id || ':reserve', ''
    FROM job, balance
), reservation AS (
    INSERT INTO credits_creditreservation (
        id, created_at, updated_at, team_id, job_id, amount, status, captured
    )
    SELECT gen_random_uuid(), now(), now(), job.team_id, job.id, %(amount)s, 'pending', 0
    FROM job
), activity AS (
    INSERT INTO teams_activitylog (action, metadata, created_at, team_id, user_id)
    SELECT 'generate', jsonb_build_object('job_id', job.id), now(), job.team_id, key.created_by_id
    FROM job, key
), task AS (
    INSERT INTO django_tasks_database_dbtaskresult (
        id, status, args_kwargs, priority, task_path, queue_name, backend_name, run_after,
        enqueued_at, exception_class_path, traceback, worker_ids
    )
    SELECT gen_random_uuid(), 'READY',
        jsonb_build_object('args', jsonb_build_array(job.team_id::text), 'kwargs', '{}'::jsonb),
        30, 'bench.floor', 'floor', 'default', now(), now(), '', '', '[]'::jsonb
    FROM job
)
SELECT id, created_at FROM job
"""


@csrf_exempt
@require_POST
def generate_floor(request):
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    body = json.loads(request.body)
    params = {key: body.get(key) for key in ("model_id", "prompt", "num_images", "width")}
    with connection.cursor() as cursor:
        cursor.execute(
            SUBMIT_SQL,
            {
                "hash": ApiKey.hash_key(token),
                "amount": 1,
                "max_queued": 10**9,
                "job_id": uuid.uuid4(),
                "params": json.dumps(params),
                "token": secrets.token_urlsafe(24),
            },
        )
        row = cursor.fetchone()
    if row is None:
        return JsonResponse({"error": {"code": "rejected"}}, status=402)
    return JsonResponse(
        {"job": {"id": str(row[0]), "status": "queued", "created_at": row[1].isoformat()}},
        status=202,
    )
