import pytest

from genfans.credits.services import credits_reserve
from tests.credits.factories import give_credits, make_job
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_credits_page_shows_balance_and_history(owner_client, team):
    credits_reserve(team=team, job=make_job(team), amount=12)
    response = owner_client.get("/dashboard/credits")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="credits-available">38<' in html
    assert 'data-testid="credits-reserved">12<' in html
    assert "Free plan: 50 credits once" in html
    assert html.count('data-testid="credit-row"') == 2
    assert 'href="/dashboard/credits"' in html  # the nav entry


def test_the_header_shows_the_balance_on_every_dashboard_page(owner_client):
    html = owner_client.get("/dashboard/").content.decode()
    assert 'data-testid="header-balance"' in html
    assert "50 credits" in html


def test_filter_by_kind_with_htmx_returns_only_the_history(owner_client, team):
    credits_reserve(team=team, job=make_job(team), amount=5)
    response = owner_client.get(
        "/dashboard/credits?kind=reserve", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="credit-history"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="credit-history" data-kind="reserve">')
    assert "<html" not in html
    assert html.count('data-testid="credit-row"') == 1


def test_pagination(owner_client, team):
    for _ in range(25):
        give_credits(team, 1)
    first = owner_client.get("/dashboard/credits").content.decode()
    assert first.count('data-testid="credit-row"') == 20
    assert 'data-testid="older"' in first
    cursor = first.split("cursor=", 1)[1].split('"', 1)[0]
    second = owner_client.get(f"/dashboard/credits?cursor={cursor}").content.decode()
    assert second.count('data-testid="credit-row"') == 6
    assert 'data-testid="older"' not in second


def test_a_bad_kind_falls_back_to_everything_and_a_bad_cursor_is_400(owner_client):
    response = owner_client.get("/dashboard/credits?kind=bogus")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="credit-row"') == 1
    assert owner_client.get("/dashboard/credits?cursor=%%%").status_code == 400


def test_another_teams_history_is_not_shown(owner_client, team):
    other = make_user().memberships.get().team
    give_credits(other, 999)
    html = owner_client.get("/dashboard/credits").content.decode()
    assert "999" not in html
    assert html.count('data-testid="credit-row"') == 1


def test_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/dashboard/credits")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in")
