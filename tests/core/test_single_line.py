"""Names fit on one line: a line break or tab in a user, team, key or model name answers
`400 invalid_text` and changes nothing, through the API, the pages and the services alike."""

import pytest

from genfans.accounts.models import ApiKey, User
from genfans.accounts.services import user_sign_up
from genfans.core.errors import InvalidText
from genfans.studio.models import CustomModel, CustomModelStatus, Job
from genfans.teams.models import Team
from tests.catalog.factories import make_reference_model
from tests.credits.factories import give_credits
from tests.studio.helpers import upload

pytestmark = pytest.mark.django_db

BREAKS = ["two\nlines", "carriage\rreturn", "a\ttab", "unicode\u2028line"]


def _state(team):
    return (
        Team.objects.get(pk=team.pk).name,
        list(User.objects.values_list("name", flat=True).order_by("pk")),
        ApiKey.objects.count(),
        Job.objects.count(),
        list(CustomModel.objects.values_list("name", flat=True).order_by("pk")),
    )


@pytest.mark.parametrize("bad", BREAKS)
@pytest.mark.parametrize(
    ("method", "url", "field"),
    [
        ("patch", "/api/team", "name"),
        ("patch", "/api/user", "name"),
        ("post", "/api/api-keys", "name"),
        ("post", "/api/models", "name"),
        ("patch", "/api/models/{custom_model}", "name"),
    ],
)
def test_a_name_that_spans_lines_is_400_invalid_text(owner_client, team, method, url, field, bad):
    give_credits(team, 500)
    reference = make_reference_model()
    custom = CustomModel.objects.create(
        team=team,
        reference_model=reference,
        name="Ava",
        status=CustomModelStatus.READY,
        trigger_word="tokava",
    )
    body = {field: bad}
    if url == "/api/models":
        body |= {"reference_model_id": str(reference.pk), "upload_ids": [upload(owner_client)]}
    before = _state(team)

    response = getattr(owner_client, method)(
        url.format(custom_model=custom.pk), body, content_type="application/json"
    )

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["code"], error["details"]["field"]) == ("invalid_text", field)
    assert _state(team) == before


def test_a_team_name_with_a_line_break_is_refused_on_the_team_page(owner_client, team):
    response = owner_client.post("/dashboard/team/rename", {"name": "Studio\nEvil"}, follow=True)

    assert Team.objects.get(pk=team.pk).name == team.name
    assert "single line" in response.content.decode()


def test_sign_up_refuses_a_name_on_two_lines():
    with pytest.raises(InvalidText):
        user_sign_up(email="new@example.com", password="a long pass phrase", name="New\nUser")
    assert not User.objects.filter(email="new@example.com").exists()


def test_text_that_may_span_lines_still_may(owner_client, team):
    give_credits(team, 500)
    response = owner_client.post(
        "/api/generate",
        {"model_id": str(make_reference_model().pk), "prompt": "first line\nsecond\tline"},
        content_type="application/json",
    )

    assert response.status_code == 202, response.content
