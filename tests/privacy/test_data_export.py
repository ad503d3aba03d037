"""A person downloads their data from Security: one zip with data.json and the files behind it,
their own and nobody else's, after confirming their password, a few times an hour."""

import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage

from genfans.storage.models import Asset
from genfans.studio.models import Job
from genfans.teams.models import Action, ActivityLog
from tests.factories import make_member, make_user
from tests.studio.helpers import upload

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def _export(client, password=PASSWORD):
    return client.post("/dashboard/security/export", {"password": password})


def _archive(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="genfans-data-')
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


@pytest.fixture
def person(client_factory):
    user = make_user(email="pat@example.com", password=PASSWORD, name="Pat")
    return user, client_factory(user)


def test_the_export_holds_the_account_its_uploads_and_its_jobs_with_their_files(person, team):
    user, client = person
    upload_id = upload(client)
    own_team = user.memberships.get().team
    job = Job.objects.create(team=own_team, user=user, type="image_generation", params={"p": 1})

    archive = _archive(_export(client))

    data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == "pat@example.com"
    assert data["account"]["two_factor_enabled"] is False
    assert [m["team_id"] for m in data["memberships"]] == [str(own_team.pk)]
    assert [u["id"] for u in data["uploads"]] == [upload_id]
    assert [j["id"] for j in data["jobs"]] == [str(job.pk)]
    assert data["missing_files"] == []
    stored = archive.read(data["uploads"][0]["file"])
    assert stored[:2] == b"\xff\xd8"  # the JPEG we stored
    assert Action.EXPORT_DATA in {row.action for row in ActivityLog.objects.filter(user=user)}


def test_the_export_leaves_out_teammates_work_and_teams_they_left(
    team, owner, owner_client, other_team, client_factory
):
    member = make_member(team=team, email="sam@example.com")
    member.set_password(PASSWORD)
    member.save()
    client = client_factory(member)
    upload(owner_client)  # the owner's upload, in the team Sam belongs to
    Job.objects.create(team=team, user=owner, type="image_generation")
    Job.objects.create(team=other_team, user=member, type="image_generation")  # not Sam's team

    data = json.loads(_archive(_export(client)).read("data.json"))

    assert data["uploads"] == []
    assert data["jobs"] == []
    assert [m["team_name"] for m in data["memberships"]] == [team.name]
    assert {row["team_id"] for row in data["activity"]} <= {str(team.pk), None}


def test_a_wrong_password_downloads_nothing(person):
    user, client = person

    response = _export(client, password="not it")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert not ActivityLog.objects.filter(user=user, action=Action.EXPORT_DATA).exists()


def test_exports_are_limited_per_hour(person):
    _, client = person
    for _ in range(3):
        assert _export(client).status_code == 200

    response = _export(client)

    assert response.status_code == 429
    assert b"3 times an hour" in response.content


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.post("/dashboard/security/export", {"password": PASSWORD})

    assert response.status_code == 302
    assert "/sign-in" in response["Location"]


def test_a_file_storage_lost_is_listed_not_fatal(person):
    user, client = person
    upload(client)
    asset = Asset.objects.get(created_by=user)
    default_storage.delete(asset.storage_key)

    data = json.loads(_archive(_export(client)).read("data.json"))

    assert len(data["missing_files"]) == 1


def test_the_security_page_offers_it(person):
    _, client = person

    page = client.get("/dashboard/security").content.decode()

    assert 'action="/dashboard/security/export"' in page
