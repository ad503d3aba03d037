from datetime import UTC, datetime

import pytest

from genfans.billing.models import Plan
from genfans.billing.seed import seed_plans
from genfans.credits.calculator import estimate
from genfans.credits.services import credits_capture, credits_plan_period_start, credits_reserve
from tests.credits.factories import make_job
from tests.factories import make_api_key, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, team, owner):
    key = make_api_key(team=team, user=owner)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client


class TestBalance:
    def test_a_new_free_team(self, api):
        response = api.get("/api/credits/balance")
        assert response.status_code == 200
        assert response.json() == {
            "available": 50,
            "reserved": 0,
            "plan_credits": 0,
            "plan": "free",
            "monthly_allowance": 0,
            "next_renewal": None,
        }

    def test_a_subscribed_team(self, api, team):
        seed_plans()
        team.plan = Plan.objects.get(code="pro")
        team.current_period_end = datetime(2026, 12, 25, tzinfo=UTC)
        team.save()
        credits_plan_period_start(
            team=team, period="sub_1:1", amount=1500, idempotency_key="plan:sub_1:1"
        )
        credits_reserve(team=team, job=make_job(team), amount=20)
        body = api.get("/api/credits/balance").json()
        assert body["available"] == 1530
        assert body["reserved"] == 20
        assert body["monthly_allowance"] == 1500
        assert body["next_renewal"].startswith("2026-12-25T00:00:00")

    def test_the_session_works_too(self, owner_client):
        assert owner_client.get("/api/credits/balance").json()["available"] == 50

    def test_anonymous_is_401(self, client, db):
        response = client.get("/api/credits/balance")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"


class TestHistory:
    def test_rows_name_their_job_or_reference(self, api, team):
        job = make_job(team)
        credits_reserve(team=team, job=job, amount=12)
        credits_capture(job=job, amount=10)
        items = api.get("/api/credits/history").json()["items"]
        assert [(i["kind"], i["amount"]) for i in items] == [
            ("release", 2),
            ("capture", 10),
            ("reserve", 12),
            ("grant", 50),
        ]
        assert {i["job_id"] for i in items[:3]} == {str(job.pk)}
        assert (items[3]["job_id"], items[3]["reference"]) == (None, "free grant")
        assert [(i["available_after"], i["reserved_after"]) for i in items] == [
            (40, 0),
            (38, 2),
            (38, 12),
            (50, 0),
        ]

    def test_filter_by_kind(self, api, team):
        credits_reserve(team=team, job=make_job(team), amount=5)
        items = api.get("/api/credits/history?kind=reserve").json()["items"]
        assert [i["kind"] for i in items] == ["reserve"]

    def test_pagination_walks_every_row_once(self, api, team):
        for _ in range(4):
            credits_reserve(team=team, job=make_job(team), amount=1)
        seen, cursor = [], None
        while True:
            url = "/api/credits/history?limit=2" + (f"&cursor={cursor}" if cursor else "")
            page = api.get(url).json()
            seen += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == 5

    @pytest.mark.parametrize(
        "query", ["kind=bogus", "limit=0", "limit=101", "limit=x", "cursor=%%%"]
    )
    def test_bad_queries_are_400(self, api, query):
        response = api.get(f"/api/credits/history?{query}")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "validation_error"

    def test_another_teams_rows_are_not_shown(self, api, team):
        other = make_user().memberships.get().team
        credits_reserve(team=other, job=make_job(other), amount=7)
        items = api.get("/api/credits/history").json()["items"]
        assert [(i["kind"], i["amount"]) for i in items] == [("grant", 50)]
        other_key = make_api_key(team=other)
        other_view = api.get(
            "/api/credits/balance", HTTP_AUTHORIZATION=f"Bearer {other_key}"
        ).json()
        assert (other_view["available"], other_view["reserved"]) == (43, 7)


class TestEstimate:
    def test_the_estimate_is_what_the_calculator_prices(self, api):
        params = {"num_images": 3, "width": 1024, "height": 1536, "quality": "high"}
        response = api.post(
            "/api/credits/estimate",
            {"operation": "image_generation", "params": params},
            content_type="application/json",
        )
        assert response.status_code == 200
        body = response.json()
        expected = estimate(operation="image_generation", params=params)
        assert body["credits"] == expected.credits == 3 * 17
        assert body["breakdown"] == expected.breakdown
        assert body["operation"] == "image_generation"

    @pytest.mark.parametrize(
        ("payload", "code"),
        [
            ({"operation": "teleport", "params": {}}, "invalid_params"),
            ({"operation": "image_generation", "params": {"num_images": 0}}, "invalid_params"),
            ({"operation": "image_generation", "params": {"quality": ["x"]}}, "invalid_params"),
            ({"operation": "video_generation", "params": {"duration_s": 7}}, "invalid_params"),
            ({"params": {}}, "validation_error"),
            ({"operation": "face_swap", "params": [1]}, "validation_error"),
        ],
    )
    def test_bad_input_is_400(self, api, payload, code):
        response = api.post("/api/credits/estimate", payload, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == code

    def test_needs_auth(self, client, db):
        response = client.post(
            "/api/credits/estimate",
            {"operation": "face_swap", "params": {}},
            content_type="application/json",
        )
        assert response.status_code == 401
