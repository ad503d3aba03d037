"""An 80-character model name, with no space to break at, never widens a page: it is cut with
an ellipsis, at desktop and phone widths."""

import pytest

from genfans.catalog.models import ReferenceModel
from genfans.storage.services import asset_create
from genfans.studio.models import (
    Job,
    JobStatus,
    JobType,
)
from tests.factories import PASSWORD, make_user
from tests.studio.helpers import ready_model

NAME = "N" * 80


@pytest.mark.parametrize("width", [1440, 390])
def test_a_long_model_name_does_not_widen_any_page(live_server, page, width):
    user = make_user(email="long@example.com")
    team = user.memberships.get().team
    reference = ReferenceModel.objects.create(
        slug="long-name", name=NAME, category="fashion", base_prompt="portrait"
    )
    model = ready_model(team, reference, name=NAME, trigger_word="toklong")
    job = Job.objects.create(
        team=team,
        type=JobType.IMAGE_GENERATION,
        status=JobStatus.SUCCEEDED,
        progress=100,
        params={"custom_model_id": str(model.pk), "model_name": NAME, "prompt": "p"},
    )
    asset_create(team=team, kind="image", content=b"x", content_type="image/png", job=job)

    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email").fill("long@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/**")
    for path in (
        "/dashboard/models",
        f"/dashboard/models/{model.pk}",
        "/dashboard/catalog",
        "/dashboard/generate",
        "/dashboard/video",
        "/dashboard/gallery",
        f"/dashboard/jobs/{job.pk}",
    ):
        page.goto(live_server.url + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow == 0, f"{path} at {width} px scrolls {overflow} px sideways"
