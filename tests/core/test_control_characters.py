"""One input rule for all text: NUL and other control characters answer 400 `invalid_text`
and change nothing (PostgreSQL cannot store NUL, so each of these was a 500 there)."""

import pytest

from genfans.accounts.models import ApiKey, User
from genfans.studio.models import Job
from genfans.teams.models import Team
from tests.catalog.factories import make_reference_model

pytestmark = pytest.mark.django_db


def _json(client, method, url, body):
    return getattr(client, method)(url, body, content_type="application/json")


@pytest.mark.parametrize("bad", ["a\x00b", "a\x07b", "a\x1bb", "a\x7fb"])
@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("patch", "/api/team", {"name": "{bad}"}),
        ("patch", "/api/user", {"name": "{bad}"}),
        ("post", "/api/api-keys", {"name": "{bad}"}),
        ("post", "/api/team/invitations", {"email": "x{bad}@example.com", "role": "member"}),
        ("post", "/api/generate", {"model_id": "{model}", "prompt": "{bad}"}),
        ("post", "/api/models", {"name": "{bad}", "reference_model_id": "{model}"}),
    ],
)
def test_api_text_with_control_characters_is_400_and_changes_nothing(
    owner_client, team, method, url, body, bad
):
    model = make_reference_model()
    body = {k: v.replace("{bad}", bad).replace("{model}", str(model.pk)) for k, v in body.items()}
    before = (Team.objects.get(pk=team.pk).name, ApiKey.objects.count(), Job.objects.count())

    response = _json(owner_client, method, url, body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_text"
    after = (Team.objects.get(pk=team.pk).name, ApiKey.objects.count(), Job.objects.count())
    assert after == before


def test_a_nul_in_a_search_query_is_400(owner_client):
    response = owner_client.get("/api/reference-models?q=ava%00")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_text"
    assert owner_client.get("/catalog?q=ava%00").status_code == 400


def test_sign_up_with_a_nul_in_the_email_creates_no_account(client):
    response = client.post(
        "/sign-up", {"name": "Eve", "email": "eve\x00@example.com", "password": "x" * 12}
    )

    assert response.status_code == 400
    assert not User.objects.filter(name="Eve").exists()


def test_tabs_and_newlines_stay_text_where_text_spans_lines(owner_client, team):
    prompt = {"model_id": str(make_reference_model().pk), "prompt": "line one\nline two\r\n"}
    assert _json(owner_client, "post", "/api/generate", prompt).status_code != 400
