from django.test import Client

from genfans.credits.calculator import estimate
from genfans.credits.selectors import credits_balance_get
from genfans.studio.models import Job, JobStatus
from tests.factories import PASSWORD, make_user


def _signed_in(email: str, credits: int = 0):
    from tests.credits.factories import give_credits

    user = make_user(email=email)
    team = user.memberships.get().team
    if credits:
        give_credits(team, credits)
    client = Client()
    assert client.login(username=email, password=PASSWORD)
    return team, client


def _form(model, **overrides):
    return {
        "model_id": str(model.pk),
        "prompt": "golden hour",
        "size": "512x512",
        "quality": "draft",
        "num_images": 2,
        **overrides,
    }


def test_generate_page_submits_and_shows_the_job_live(engine, reference_model):
    team, client = _signed_in("page@example.com", credits=100)
    page = client.get("/dashboard/generate")
    assert page.status_code == 200
    assert reference_model.name in page.content.decode()
    assert "2048" not in page.content.decode()  # the free plan stops at 1024px
    defaults = estimate(
        operation="image_generation",
        params={"num_images": 4, "width": 1024, "height": 1024, "quality": "standard"},
    ).credits
    assert f'data-testid="estimate">{defaults} credits' in page.content.decode()

    priced = client.post("/dashboard/generate/estimate", _form(reference_model))
    assert 'data-testid="estimate">10 credits' in priced.content.decode()

    response = client.post("/dashboard/generate", _form(reference_model))
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/dashboard/jobs/{job.pk}"
    live = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in live

    engine.drain()
    done = client.get(f"/dashboard/jobs/{job.pk}").content.decode()
    assert 'data-status="succeeded"' in done
    assert done.count("<img ") == 2 and "/media/" in done
    assert credits_balance_get(team=team).available == 150 - 10


def test_generate_page_shows_errors_and_changes_nothing(engine, reference_model):
    team, client = _signed_in("broke@example.com")
    response = client.post(
        "/dashboard/generate",
        _form(reference_model, num_images=8, quality="high", size="1024x1024"),
    )
    assert response.status_code == 402
    assert (
        "Not enough credits" in response.content.decode() or "credits" in response.content.decode()
    )
    assert client.post("/dashboard/generate", _form(reference_model, prompt="")).status_code == 400
    assert Job.objects.count() == 0
    assert credits_balance_get(team=team).reserved == 0


def test_jobs_page_lists_filters_and_cancels(engine, reference_model):
    team, client = _signed_in("jobs@example.com", credits=100)
    client.post("/dashboard/generate", _form(reference_model))
    job = Job.objects.get()
    listing = client.get("/dashboard/jobs").content.decode()
    assert listing.count('data-testid="job-row"') == 1 and "Cancel" in listing
    assert (
        'data-testid="job-row"' not in client.get("/dashboard/jobs?status=failed").content.decode()
    )
    response = client.post(f"/dashboard/jobs/{job.pk}/cancel", {"next": "/dashboard/jobs"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELED
    assert credits_balance_get(team=team).available == 150
    engine.drain()


def test_another_teams_job_page_is_404(engine, reference_model):
    _, owner = _signed_in("mine@example.com", credits=100)
    owner.post("/dashboard/generate", _form(reference_model))
    job = Job.objects.get()
    _, stranger = _signed_in("theirs@example.com")
    assert stranger.get(f"/dashboard/jobs/{job.pk}").status_code == 404
    assert stranger.post(f"/dashboard/jobs/{job.pk}/cancel").status_code == 404
    assert Job.objects.get().status == JobStatus.QUEUED
    engine.drain()


def test_where_images_go_to_higgsfield_each_size_says_what_it_renders_as(engine, settings):
    settings.GENFANS_PROVIDER = "higgsfield"
    settings.HIGGSFIELD_API_KEY = "hf-key"
    _, client = _signed_in("soul@example.com")
    page = client.get("/dashboard/generate").content.decode()
    assert "768 × 1024 (Higgsfield: 3:4, 720p)" in page
    assert "1024 × 1024 (Higgsfield: 1:1, 1080p)" in page

    settings.GENFANS_PROVIDER = "sandbox"
    settings.HIGGSFIELD_API_KEY = ""
    assert "Higgsfield" not in client.get("/dashboard/generate").content.decode()
