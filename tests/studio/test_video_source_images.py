"""The video page offers the newest images, plus an older one chosen in the gallery: the
team's own live image only, read through the studio selectors."""

import pytest
from django.test import Client

from genfans.storage.services import asset_create
from genfans.web.views.creations import SOURCE_IMAGES
from tests.studio.conftest import make_team_client

pytestmark = pytest.mark.django_db


def _image(team):
    return asset_create(team=team, kind="image", content=b"x", content_type="image/png")


def test_an_older_gallery_image_is_offered_and_others_are_not(engine, owner_client, team):
    from genfans.billing.models import Plan

    team.plan = Plan.objects.get(code="pro")
    team.subscription_status = "active"
    team.save()
    client = owner_client
    oldest = _image(team)
    for _ in range(SOURCE_IMAGES):
        _image(team)
    upload = asset_create(team=team, kind="upload", content=b"u", content_type="image/png")
    other_team, _ = make_team_client(Client, email="other-studio@example.com")
    foreign = _image(other_team)

    page = client.get(f"/dashboard/video?image={oldest.pk}").text
    assert f'value="{oldest.pk}" checked' in page
    assert page.count('data-testid="image-option"') == SOURCE_IMAGES + 1

    for refused in (upload, foreign):
        page = client.get(f"/dashboard/video?image={refused.pk}").text
        assert f'value="{refused.pk}"' not in page
        assert page.count('data-testid="image-option"') == SOURCE_IMAGES
    page = client.get("/dashboard/video?image=not-a-uuid").text
    assert page.count('data-testid="image-option"') == SOURCE_IMAGES
