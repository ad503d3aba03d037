"""Issue 14: a page that uploads photos and submits their job stores both or neither."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from genfans.billing.models import Plan
from genfans.credits.selectors import credits_balance_get
from genfans.credits.services import credits_adjust
from genfans.storage.models import Asset
from genfans.studio.models import Job
from tests.credits.factories import give_credits
from tests.factories import make_user
from tests.providers.fakes import jpeg_bytes


def _photo(name, colour=(180, 100, 90)):
    return SimpleUploadedFile(name, jpeg_bytes(512, 640, colour=colour), "image/jpeg")


def _stored_files(team) -> list[str]:
    try:
        _, files = default_storage.listdir(f"teams/{team.pk}/upload")
    except FileNotFoundError:
        return []
    return files


@pytest.fixture
def pro_page_without_credits(engine):
    user = make_user(email="broke@example.com")
    team = user.memberships.get().team
    team.plan = Plan.objects.get(code="pro")
    team.subscription_status = "active"
    team.save()
    balance = credits_balance_get(team=team).available
    if balance:
        credits_adjust(team=team, amount=-balance, reason="test: no credits", user=user)
    client = Client()
    client.force_login(user)
    return team, client


def test_a_face_swap_refused_for_credits_leaves_no_uploads_and_no_files(
    pro_page_without_credits,
):
    team, client = pro_page_without_credits
    response = client.post(
        "/dashboard/face-swap",
        {"target": _photo("target.jpg"), "face": _photo("face.jpg", colour=(20, 40, 200))},
    )
    assert response.status_code == 400
    assert "credits" in response.content.decode()
    assert Asset.objects.filter(team=team).count() == 0
    assert _stored_files(team) == []
    assert Job.objects.filter(team=team).count() == 0
    assert credits_balance_get(team=team).available == 0


def test_a_face_swap_with_credits_keeps_both_uploads(pro_page_without_credits):
    team, client = pro_page_without_credits
    give_credits(team, 100)
    response = client.post(
        "/dashboard/face-swap",
        {"target": _photo("target.jpg"), "face": _photo("face.jpg", colour=(20, 40, 200))},
    )
    job = Job.objects.get(team=team)
    assert response.url == f"/dashboard/face-swap?job={job.pk}"
    uploads = Asset.objects.filter(team=team, kind="upload")
    assert uploads.count() == 2
    assert {str(a.pk) for a in uploads} == {
        job.params["target_asset_id"],
        job.params["face_asset_id"],
    }
    assert len(_stored_files(team)) == 2


def test_a_face_swap_no_configured_provider_can_run_says_so_and_keeps_nothing(
    pro_page_without_credits, settings
):
    team, client = pro_page_without_credits
    give_credits(team, 100)
    settings.GENFANS_PROVIDER = "higgsfield"
    settings.HIGGSFIELD_API_KEY = "hf-key"
    settings.FAL_KEY = ""
    response = client.post(
        "/dashboard/face-swap",
        {"target": _photo("target.jpg"), "face": _photo("face.jpg", colour=(20, 40, 200))},
    )
    assert response.status_code == 400
    assert "No configured provider can run this request" in response.content.decode()
    assert Asset.objects.filter(team=team).count() == 0
    assert _stored_files(team) == []
    assert Job.objects.filter(team=team).count() == 0
    assert credits_balance_get(team=team).available == 100
