"""The studio pages say only what is true: the models a video can start from, the size a video
was delivered at, and a prompt over the limit refused with the limit rather than cut."""

import pytest
from django.contrib.staticfiles import finders

from genfans.catalog.models import ReferenceModel
from genfans.storage.services import asset_create
from genfans.studio.models import (
    CustomModel,
    Job,
    JobStatus,
    JobType,
)
from genfans.studio.operations.base import MAX_PROMPT
from genfans.studio.selectors import custom_models_with_images_for_team
from tests.studio.helpers import ready_model

pytestmark = pytest.mark.django_db


def _model(team, name: str) -> CustomModel:
    reference, _ = ReferenceModel.objects.get_or_create(
        slug="ava-honest", defaults={"name": "Ava", "category": "fashion", "base_prompt": "Ava"}
    )
    return ready_model(team, reference, name=name, trigger_word="tokhonest")


def _output(team, *, job_type, params, kind, **size):
    job = Job.objects.create(
        team=team, type=job_type, status=JobStatus.SUCCEEDED, progress=100, params=params
    )
    asset_create(team=team, kind=kind, content=b"x", content_type="image/png", job=job, **size)
    return job


def test_only_models_with_an_image_are_offered_for_video(owner_client, team):
    pictured = _model(team, "Pictured")
    bare = _model(team, "Bare")
    _output(
        team,
        job_type=JobType.IMAGE_GENERATION,
        params={"custom_model_id": str(pictured.pk)},
        kind="image",
    )

    assert [m.pk for m in custom_models_with_images_for_team(team=team)] == [pictured.pk]
    page = owner_client.get("/dashboard/video").text
    assert f'value="{pictured.pk}"' in page
    assert f'value="{bare.pk}"' not in page


def test_the_video_size_shown_is_the_delivered_one(owner_client, team):
    job = _output(
        team, job_type=JobType.VIDEO_GENERATION, params={}, kind="video", width=320, height=180
    )
    assert "720p" not in owner_client.get("/dashboard/video").text
    page = owner_client.get(f"/dashboard/jobs/{job.pk}").text
    assert 'data-testid="video-size">320×180<' in page


@pytest.mark.parametrize("path", ["/dashboard/generate", "/dashboard/video"])
def test_a_prompt_over_the_limit_is_refused_not_cut(owner_client, path):
    page = owner_client.get(path).text
    assert f'data-max-length="{MAX_PROMPT}"' in page
    assert "maxlength=" not in page.split('name="prompt"', 1)[1].split(">", 1)[0]

    response = owner_client.post(path, {"prompt": "a" * 5000, "duration_s": 5})
    assert response.status_code == 400
    assert "A prompt can be at most 2,000 characters; this one has 5000." in response.text
    assert Job.objects.count() == 0


def test_a_long_model_name_is_cut_with_an_ellipsis_not_the_page_widened(owner_client, team):
    name = "N" * 80
    model = _model(team, name)
    cards = owner_client.get("/dashboard/models").text
    assert f'<strong class="truncate" title="{name}">{name}</strong>' in cards
    detail = owner_client.get(f"/dashboard/models/{model.pk}").text
    assert '<h1 class="page-title truncate">' in detail
    assert f'<span title="{name}">{name}</span></h1>' in detail
    with open(finders.find("genfans/app.css")) as css:
        rule = css.read().split(".truncate {", 1)[1].split("}", 1)[0]
    assert "text-overflow: ellipsis" in rule
    assert "white-space: nowrap" in rule
