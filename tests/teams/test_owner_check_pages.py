"""Pages refuse a member with the domain's one owner rule and its one answer: 403 and
NotTeamOwner's message, the same as `/api` answers `not_team_owner`."""

import pytest
from django.utils.html import escape

from genfans.accounts.models import ApiKey
from genfans.teams.errors import NotTeamOwner
from tests.factories import make_api_key, make_member

pytestmark = pytest.mark.django_db

MEMBER_POSTS = {
    "create_api_key": lambda key: ("/dashboard/api-keys", {"name": "deploy"}),
    "revoke_api_key": lambda key: (f"/dashboard/api-keys/{key.id}/revoke", {}),
    "rename_team": lambda key: ("/dashboard/team/rename", {"name": "Renamed"}),
    "start_checkout": lambda key: ("/dashboard/billing/checkout", {"plan": "pro"}),
    "confirm_checkout": lambda key: ("/dashboard/billing", {"session_id": "cs_1"}),
}


@pytest.mark.parametrize("action", sorted(MEMBER_POSTS))
def test_a_member_is_refused_with_the_not_team_owner_answer(action, client_factory, team, owner):
    make_api_key(team=team, user=owner, name="ci")
    key = ApiKey.objects.get(team=team)
    url, data = MEMBER_POSTS[action](key)

    response = client_factory(make_member(team=team)).post(url, data)

    assert response.status_code == 403
    assert escape(NotTeamOwner.default_message) in response.text
    assert f'data-error-code="{NotTeamOwner.code}"' in response.text
    assert list(ApiKey.objects.filter(team=team).values_list("name", "revoked_at")) == [
        ("ci", None)
    ]
    team.refresh_from_db()
    assert team.name != "Renamed"


def test_an_owner_passes_the_same_rule(owner_client, team):
    response = owner_client.post("/dashboard/api-keys", {"name": "deploy"})
    assert response.status_code == 200
    assert ApiKey.objects.filter(team=team, name="deploy").count() == 1
