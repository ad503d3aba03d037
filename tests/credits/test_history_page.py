"""The Credits history reads as what happened: one line per job, linked to it, and words for
credits added or taken, never ledger keys. One query a page however many jobs it lists."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from genfans.credits.services import (
    credits_adjust,
    credits_capture,
    credits_grant,
    credits_reserve,
)
from genfans.studio.models import JobStatus, JobType
from tests.credits.factories import make_job

pytestmark = pytest.mark.django_db

# The session, user and team the request needs, then one query for the page of history.
HISTORY_QUERIES = 7
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "credit-history"}


def _finished_image_job(team, *, held=12, charged=8):
    job = make_job(
        team,
        type=JobType.IMAGE_GENERATION,
        params={"num_images": 8, "prompt": "p"},
        status=JobStatus.SUCCEEDED,
    )
    credits_reserve(team=team, job=job, amount=held)
    credits_capture(job=job, amount=charged)
    return job


def _rows(html: str) -> list[str]:
    return html.split('data-testid="credit-row"')[1:]


def test_a_job_is_one_line_linked_to_it_with_charged_and_returned(owner_client, team):
    done = _finished_image_job(team)
    running = make_job(
        team, type=JobType.VIDEO_GENERATION, params={"duration_s": 5}, status=JobStatus.RUNNING
    )
    credits_reserve(team=team, job=running, amount=10)

    html = owner_client.get("/dashboard/credits", **HTMX).text
    rows = _rows(html)
    assert len(rows) == 3  # the running video, the finished images, the Free plan's grant
    video, images, grant = rows
    assert f'href="/dashboard/jobs/{running.pk}"' in video
    assert ">Video 5 s<" in video
    assert ">10 held<" in video
    assert ">Running<" in video
    assert f'href="/dashboard/jobs/{done.pk}"' in images
    assert ">8 images<" in images
    assert "&minus;8 " in images
    assert 'data-testid="credit-released">4 returned<' in images
    assert ">Succeeded<" in images
    assert ">+50<" in grant
    assert f"job:{done.pk}" not in html


def test_grants_purchases_and_adjustments_have_words_not_keys(owner_client, team, owner):
    credits_grant(
        team=team,
        amount=500,
        idempotency_key="pack:dev-5f1c2e",
        reference="credit pack starter (dev-5f1c2e)",
    )
    credits_adjust(team=team, amount=-5, reason="Double-counted pack", user=owner)

    html = owner_client.get("/dashboard/credits", **HTMX).text
    adjustment, purchase, free = _rows(html)
    assert "Adjusted by GenFans support" in adjustment
    assert "Double-counted pack" in adjustment
    assert ">&minus;5<" in adjustment
    assert "Bought the Starter credit pack" in purchase
    assert ">+500<" in purchase
    assert ">+50<" in free
    assert "dev-5f1c2e" not in html
    assert "pack:" not in html


def test_the_history_takes_the_same_queries_for_3_or_12_jobs(
    owner_client, team, django_assert_num_queries
):
    for _ in range(3):
        _finished_image_job(team, held=1, charged=1)
    with CaptureQueriesContext(connection) as few:
        assert len(_rows(owner_client.get("/dashboard/credits", **HTMX).text)) == 4
    for _ in range(9):
        _finished_image_job(team, held=1, charged=1)
    assert len(few) == HISTORY_QUERIES
    with django_assert_num_queries(HISTORY_QUERIES):
        html = owner_client.get("/dashboard/credits", **HTMX).text
    assert len(_rows(html)) == 13
