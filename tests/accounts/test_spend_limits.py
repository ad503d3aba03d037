"""Monthly spend limits per member and per API key: the check at submit, the period, the
service that sets them, the API and the pages."""

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from genfans.accounts.models import ApiKey
from genfans.accounts.spend_limits import (
    MAX_MONTHLY_CAP,
    billing_period_start,
    spend_for_period,
    spend_limit_check,
    spend_limit_set,
)
from genfans.billing.models import Plan, TeamBilling
from genfans.billing.seed import seed_plans
from genfans.catalog.models import ReferenceModel
from genfans.credits.audit import ledger_audit
from genfans.credits.calculator import estimate
from genfans.credits.errors import SpendLimitReached
from genfans.credits.models import CreditReservation, SpendLimit
from genfans.credits.selectors import credits_balance_get
from genfans.credits.services import credits_capture, credits_release
from genfans.storage.models import Asset
from genfans.studio.engine.services import job_submit
from genfans.studio.models import (
    Job,
    JobType,
)
from genfans.teams.errors import NotTeamOwner
from genfans.teams.models import Action, ActivityLog, TeamMember
from tests.credits.factories import give_credits
from tests.factories import make_api_key, make_member, make_user
from tests.studio.helpers import ready_model

pytestmark = pytest.mark.django_db

BODY = {"prompt": "studio light", "num_images": 1, "width": 512, "height": 512, "quality": "draft"}


def cost() -> int:
    """What one job of BODY costs."""
    params = {key: BODY[key] for key in ("num_images", "width", "height", "quality")}
    return estimate(operation=JobType.IMAGE_GENERATION, params=params).credits


@pytest.fixture
def reference_model(db):
    return ReferenceModel.objects.create(
        slug="ava", name="Ava", category="fashion", base_prompt="portrait of Ava"
    )


@pytest.fixture
def funded(team):
    give_credits(team, 1000)
    return team


@pytest.fixture
def key(funded, owner):
    raw = make_api_key(team=funded, user=owner, name="ci")
    return ApiKey.objects.get(prefix=raw[:12]), raw


@pytest.fixture
def key_client(key):
    return Client(headers={"Authorization": f"Bearer {key[1]}"})


def submit(team, reference_model, *, user=None, api_key=None, idempotency_key=None) -> Job:
    return job_submit(
        team=team,
        user=user,
        api_key=api_key,
        job_type=JobType.IMAGE_GENERATION,
        params={**BODY, "model_id": str(reference_model.pk)},
        idempotency_key=idempotency_key,
    )


def post_generate(client, reference_model, headers=None):
    return client.post(
        "/api/generate",
        {**BODY, "model_id": str(reference_model.pk)},
        content_type="application/json",
        headers=headers,
    )


def cap(team, *, member=None, api_key=None, monthly_cap):
    """An owner's cap, set the way the owner sets it."""
    owner = TeamMember.objects.get(team=team, role="owner").user
    return spend_limit_set(
        team=team,
        user=owner,
        member_user_id=member.pk if member else None,
        api_key_id=api_key.pk if api_key else None,
        monthly_cap=monthly_cap,
    )


def ledger(team):
    balance = credits_balance_get(team=team)
    return (
        balance.available,
        balance.reserved,
        CreditReservation.objects.filter(team=team).count(),
        Job.objects.filter(team=team).count(),
    )


def month_start() -> datetime:
    return datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def pro_team(*, period_start, status="active"):
    seed_plans()
    owner = make_user()
    team = owner.memberships.get().team
    team.plan = Plan.objects.get(code="pro")
    team.subscription_status = status
    team.stripe_subscription_id = "sub_test"
    team.save()
    TeamBilling.objects.create(team=team, current_period_start=period_start)
    give_credits(team, 1000)
    return team, owner


def backdate(job, when):
    Job.objects.filter(pk=job.pk).update(created_at=when)


def key_and_client(team, user) -> tuple[ApiKey, Client]:
    raw = make_api_key(team=team, user=user)
    return ApiKey.objects.get(prefix=raw[:12]), Client(headers={"Authorization": f"Bearer {raw}"})


def uploaded(team, count: int) -> list[str]:
    return [
        str(
            Asset.objects.create(
                team=team,
                kind="upload",
                storage_key=f"teams/{team.pk}/upload/{uuid.uuid4()}.jpg",
                content_type="image/jpeg",
                width=512,
                height=512,
                bytes=1000,
            ).pk
        )
        for _ in range(count)
    ]


# Every API route that submits a job: (path, body) for a team.
SUBMITTING_ROUTES = {
    "generate": lambda team, ref: ("/api/generate", {**BODY, "model_id": str(ref.pk)}),
    "video": lambda team, ref: (
        "/api/videos",
        {"image_asset_id": uploaded(team, 1)[0], "prompt": "a slow walk"},
    ),
    "face swap": lambda team, ref: (
        "/api/face-swap",
        dict(zip(("target_upload_id", "face_upload_id"), uploaded(team, 2), strict=True)),
    ),
    "model creation": lambda team, ref: (
        "/api/models",
        {"name": "Ava", "reference_model_id": str(ref.pk), "upload_ids": uploaded(team, 4)},
    ),
    "model refinement": lambda team, ref: (
        f"/api/models/{ready_model(team, ref).pk}/refine",
        {"instructions": "shorter hair"},
    ),
    "model generation": lambda team, ref: (
        f"/api/models/{ready_model(team, ref).pk}/generate",
        BODY,
    ),
}


# --- the check at submit ------------------------------------------------------------------


class TestSubmit:
    def test_a_member_over_the_cap_gets_402_and_nothing_is_reserved(
        self, funded, member, member_client, reference_model
    ):
        cap(funded, member=member, monthly_cap=2 * cost() - 1)
        assert post_generate(member_client, reference_model).status_code == 202
        before = ledger(funded)

        response = post_generate(member_client, reference_model)

        assert response.status_code == 402
        assert response.json()["error"] == {
            "code": "spend_limit_reached",
            "message": SpendLimitReached.default_message,
            "details": {"cap": 2 * cost() - 1, "spent": cost(), "needed": cost()},
        }
        assert ledger(funded) == before

    def test_a_job_that_fits_exactly_is_accepted(self, funded, member, reference_model):
        cap(funded, member=member, monthly_cap=2 * cost())
        submit(funded, reference_model, user=member)
        submit(funded, reference_model, user=member)
        with pytest.raises(SpendLimitReached):
            submit(funded, reference_model, user=member)
        assert Job.objects.filter(team=funded, user=member).count() == 2

    def test_a_zero_cap_stops_every_job(self, funded, member, reference_model):
        cap(funded, member=member, monthly_cap=0)
        before = ledger(funded)
        with pytest.raises(SpendLimitReached):
            submit(funded, reference_model, user=member)
        assert ledger(funded) == before

    def test_others_without_a_cap_are_not_limited(self, funded, owner, member, reference_model):
        cap(funded, member=member, monthly_cap=0)
        submit(funded, reference_model, user=owner)
        assert Job.objects.filter(team=funded, user=owner).count() == 1

    def test_spend_is_pending_plus_captured_never_released(self, funded, member, reference_model):
        pending, captured, released = (
            submit(funded, reference_model, user=member) for _ in range(3)
        )
        with transaction.atomic():
            credits_capture(job=captured, amount=cost() - 1)
            credits_release(job=released)
        since = billing_period_start(team=funded)
        assert spend_for_period(team=funded, since=since, user=member) == cost() + (cost() - 1)

        cap(funded, member=member, monthly_cap=3 * cost() - 1)
        submit(funded, reference_model, user=member)  # 2 × cost - 1 spent: one more fits
        with pytest.raises(SpendLimitReached) as refused:
            submit(funded, reference_model, user=member)
        assert refused.value.details == {
            "cap": 3 * cost() - 1,
            "spent": 3 * cost() - 1,
            "needed": cost(),
        }
        assert pending.credit_reservation.status == "pending"

    def test_a_removed_cap_limits_nothing(self, funded, member, reference_model):
        cap(funded, member=member, monthly_cap=0)
        assert cap(funded, member=member, monthly_cap=None) is None
        submit(funded, reference_model, user=member)
        assert not SpendLimit.objects.filter(team=funded).exists()
        assert Job.objects.filter(team=funded, user=member).count() == 1


class TestKeysAndMembers:
    def test_a_keys_jobs_count_against_the_key_not_the_member(
        self, funded, owner, owner_client, key, key_client, reference_model
    ):
        api_key, _ = key
        cap(funded, api_key=api_key, monthly_cap=cost())
        cap(funded, member=owner, monthly_cap=cost())

        assert post_generate(key_client, reference_model).status_code == 202
        refused = post_generate(key_client, reference_model)
        assert refused.status_code == 402
        assert refused.json()["error"]["details"]["spent"] == cost()
        # The key's job is not the owner's (who made the key): their own cap is untouched.
        assert post_generate(owner_client, reference_model).status_code == 202
        assert post_generate(owner_client, reference_model).status_code == 402

        jobs = Job.objects.filter(team=funded)
        assert jobs.filter(api_key=api_key, user=None).count() == 1
        assert jobs.filter(api_key=None, user=owner).count() == 1
        since = billing_period_start(team=funded)
        assert spend_for_period(team=funded, since=since, api_key=api_key) == cost()
        assert spend_for_period(team=funded, since=since, user=owner) == cost()

    def test_a_member_with_a_key_cap_is_not_stopped_by_it(
        self, funded, owner, key, reference_model
    ):
        api_key, _ = key
        cap(funded, api_key=api_key, monthly_cap=0)
        submit(funded, reference_model, user=owner)
        with pytest.raises(SpendLimitReached):
            submit(funded, reference_model, api_key=api_key)

    @pytest.mark.parametrize("route", sorted(SUBMITTING_ROUTES))
    def test_every_api_submit_counts_against_its_key(self, reference_model, route):
        team, owner = pro_team(period_start=None)  # Pro runs video and face swap
        api_key, client = key_and_client(team, owner)
        cap(team, api_key=api_key, monthly_cap=0)
        path, body = SUBMITTING_ROUTES[route](team, reference_model)
        before = ledger(team)
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 402, response.content
        assert response.json()["error"]["code"] == "spend_limit_reached"
        assert ledger(team) == before


class TestIdempotentReplay:
    def test_a_replay_of_an_accepted_job_answers_with_it_once_the_cap_is_reached(
        self, funded, key, key_client, reference_model
    ):
        api_key, _ = key
        cap(funded, api_key=api_key, monthly_cap=cost())
        first = post_generate(key_client, reference_model, headers={"Idempotency-Key": "o-1"})
        assert first.status_code == 202
        before = ledger(funded)

        again = post_generate(key_client, reference_model, headers={"Idempotency-Key": "o-1"})
        other = post_generate(key_client, reference_model, headers={"Idempotency-Key": "o-2"})

        assert again.status_code == 202
        assert again.json()["job"]["id"] == first.json()["job"]["id"]
        assert other.status_code == 402
        assert ledger(funded) == before


# --- the period ---------------------------------------------------------------------------


class TestPeriod:
    def test_free_is_the_calendar_month_in_utc(self, team):
        assert billing_period_start(team=team) == month_start()

    def test_a_live_subscription_counts_from_its_period_start(self):
        start = timezone.now() - timedelta(days=10)
        team, _ = pro_team(period_start=start)
        assert billing_period_start(team=team) == start

    @pytest.mark.parametrize(
        ("days_ago", "status"),
        [(40, "active"), (None, "active"), (10, "canceled"), (10, "none"), (-1, "active")],
    )
    def test_otherwise_the_calendar_month(self, days_ago, status):
        start = None if days_ago is None else timezone.now() - timedelta(days=days_ago)
        team, _ = pro_team(period_start=start, status=status)
        assert billing_period_start(team=team) == month_start()

    def test_a_stored_period_start_is_ignored_on_the_free_plan(self, team):
        TeamBilling.objects.create(
            team=team, current_period_start=timezone.now() - timedelta(days=3)
        )
        assert billing_period_start(team=team) == month_start()

    def test_a_job_of_last_period_does_not_count(self, reference_model):
        start = timezone.now() - timedelta(days=10)
        team, owner = pro_team(period_start=start)
        cap(team, member=owner, monthly_cap=cost())
        backdate(submit(team, reference_model, user=owner), start - timedelta(seconds=1))
        submit(team, reference_model, user=owner)
        backdate(Job.objects.latest("created_at"), start + timedelta(seconds=1))
        with pytest.raises(SpendLimitReached) as refused:
            submit(team, reference_model, user=owner)
        assert refused.value.details["spent"] == cost()

    def test_free_counts_from_the_first_of_the_month(self, funded, owner, reference_model):
        cap(funded, member=owner, monthly_cap=cost())
        backdate(submit(funded, reference_model, user=owner), month_start() - timedelta(seconds=1))
        submit(funded, reference_model, user=owner)
        with pytest.raises(SpendLimitReached) as refused:
            submit(funded, reference_model, user=owner)
        assert refused.value.details["spent"] == cost()


class TestQueries:
    def test_no_cap_costs_one_query_and_a_cap_two(self, funded, member, reference_model):
        submit(funded, reference_model, user=member)
        amount = cost()
        with CaptureQueriesContext(connection) as uncapped:
            spend_limit_check(team=funded, user=member, api_key=None, amount=amount)
        cap(funded, member=member, monthly_cap=10 * amount)
        with CaptureQueriesContext(connection) as capped:
            spend_limit_check(team=funded, user=member, api_key=None, amount=amount)
        assert (len(uncapped), len(capped)) == (1, 2)


# --- setting a cap ------------------------------------------------------------------------


class TestSet:
    def test_setting_changing_and_removing_log_activity(self, funded, owner, member):
        cap(funded, member=member, monthly_cap=100)
        cap(funded, member=member, monthly_cap=100)
        cap(funded, member=member, monthly_cap=250)
        cap(funded, member=member, monthly_cap=None)
        rows = ActivityLog.objects.filter(team=funded, action=Action.SET_SPEND_LIMIT)
        assert [row.metadata for row in rows.order_by("created_at")] == [
            {"member_user_id": str(member.pk), "from": None, "to": 100},
            {"member_user_id": str(member.pk), "from": 100, "to": 250},
            {"member_user_id": str(member.pk), "from": 250, "to": None},
        ]
        assert {row.user_id for row in rows} == {owner.pk}

    def test_a_key_cap(self, funded, key):
        api_key, _ = key
        cap(funded, api_key=api_key, monthly_cap=MAX_MONTHLY_CAP)
        assert SpendLimit.objects.get(api_key=api_key).monthly_cap == MAX_MONTHLY_CAP


# --- API ----------------------------------------------------------------------------------


def put(client, path, body):
    return client.put(path, body, content_type="application/json")


class TestApi:
    def test_owner_sets_and_lists_every_cap_and_spend(
        self, funded, owner_client, member, key, reference_model
    ):
        api_key, _ = key
        submit(funded, reference_model, user=member)
        response = put(
            owner_client, f"/api/team/members/{member.pk}/spend-limit", {"monthly_cap": 500}
        )
        assert response.status_code == 200
        assert response.json()["monthly_cap"] == 500
        assert response.json()["spent_this_period"] == cost()
        assert (
            put(
                owner_client, f"/api/api-keys/{api_key.pk}/spend-limit", {"monthly_cap": 70}
            ).json()["monthly_cap"]
            == 70
        )

        body = owner_client.get("/api/team/spend-limits").json()

        members = {row["email"]: row for row in body["members"]}
        assert set(members) == {"owner@example.com", "member@example.com"}
        assert members["member@example.com"]["monthly_cap"] == 500
        assert members["member@example.com"]["spent_this_period"] == cost()
        assert members["owner@example.com"]["monthly_cap"] is None
        assert members["owner@example.com"]["spent_this_period"] == 0
        assert members["member@example.com"]["period_start"].startswith(
            month_start().strftime("%Y-%m-%dT00:00:00")
        )
        assert [(k["id"], k["monthly_cap"], k["spent_this_period"]) for k in body["api_keys"]] == [
            (str(api_key.pk), 70, 0)
        ]

    def test_null_removes_the_cap(self, funded, owner_client, member):
        cap(funded, member=member, monthly_cap=5)
        response = put(
            owner_client, f"/api/team/members/{member.pk}/spend-limit", {"monthly_cap": None}
        )
        assert response.status_code == 200
        assert response.json()["monthly_cap"] is None
        assert not SpendLimit.objects.exists()

    def test_a_member_sees_only_their_own_row(self, funded, member, member_client, key):
        cap(funded, member=member, monthly_cap=9)
        body = member_client.get("/api/team/spend-limits").json()
        assert [(r["email"], r["monthly_cap"]) for r in body["members"]] == [
            ("member@example.com", 9)
        ]
        assert body["api_keys"] == []

    def test_a_key_sees_only_itself(self, funded, key, key_client):
        api_key, _ = key
        body = key_client.get("/api/team/spend-limits").json()
        assert body["members"] == []
        assert [r["id"] for r in body["api_keys"]] == [str(api_key.pk)]

    @pytest.mark.parametrize("caller", ["member", "key"])
    @pytest.mark.parametrize("subject", ["member", "key"])
    def test_non_owners_get_403_and_change_nothing(
        self, funded, member, member_client, key, key_client, caller, subject
    ):
        client = member_client if caller == "member" else key_client
        path = (
            f"/api/team/members/{member.pk}/spend-limit"
            if subject == "member"
            else f"/api/api-keys/{key[0].pk}/spend-limit"
        )
        response = put(client, path, {"monthly_cap": 1000})
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "not_team_owner"
        assert not SpendLimit.objects.exists()

    def test_another_teams_member_or_key_is_404(
        self, funded, owner_client, other_team, other_owner
    ):
        other_key = ApiKey.objects.get(prefix=make_api_key(team=other_team, user=other_owner)[:12])
        member_path = f"/api/team/members/{other_owner.pk}/spend-limit"
        key_path = f"/api/api-keys/{other_key.pk}/spend-limit"
        for path in (member_path, key_path, "/api/api-keys/not-a-uuid/spend-limit"):
            response = put(owner_client, path, {"monthly_cap": 10})
            assert response.status_code == 404, path
            assert "code" in response.json()["error"]
        assert not SpendLimit.objects.exists()
        assert not ActivityLog.objects.filter(action=Action.SET_SPEND_LIMIT).exists()

    @pytest.mark.parametrize(
        "body",
        [
            {"monthly_cap": -1},
            {"monthly_cap": "100"},
            {"monthly_cap": MAX_MONTHLY_CAP + 1},
            {"monthly_cap": 10**30},
            {"monthly_cap": True},
            {"monthly_cap": 1.5},
            {},
        ],
    )
    def test_bad_input_is_400_and_changes_nothing(self, funded, owner_client, member, key, body):
        cap(funded, member=member, monthly_cap=7)
        for path in (
            f"/api/team/members/{member.pk}/spend-limit",
            f"/api/api-keys/{key[0].pk}/spend-limit",
        ):
            response = put(owner_client, path, body)
            assert response.status_code == 400, (path, response.content)
            assert response.json()["error"]["code"] == "validation_error"
        assert list(SpendLimit.objects.values_list("monthly_cap", flat=True)) == [7]


# --- pages --------------------------------------------------------------------------------


class TestPages:
    def test_team_page_shows_spend_and_owners_set_the_cap(
        self, funded, owner_client, member, reference_model
    ):
        submit(funded, reference_model, user=member)
        response = owner_client.post(
            "/dashboard/team", {"member": str(member.pk), "monthly_cap": "40"}
        )
        assert response.status_code == 302
        assert SpendLimit.objects.get(member__user=member).monthly_cap == 40
        html = owner_client.get("/dashboard/team").content.decode()
        assert f"Spent <strong>{cost()}</strong> / 40 credits since" in html
        assert "Save cap" in html

    def test_team_page_clears_the_cap_in_place_with_htmx(self, funded, owner_client, member):
        cap(funded, member=member, monthly_cap=40)
        response = owner_client.post(
            "/dashboard/team",
            {"member": str(member.pk), "monthly_cap": ""},
            headers={"HX-Request": "true"},
        )
        html = response.content.decode()
        assert html.lstrip().startswith('<div id="team-body"')
        assert "Monthly cap removed." in html
        assert not SpendLimit.objects.exists()

    @pytest.mark.parametrize(
        ("value", "message"),
        [("-5", "greater than or equal to 0"), ("lots", "Enter a whole number.")],
    )
    def test_team_page_shows_field_errors(self, funded, owner_client, member, value, message):
        response = owner_client.post(
            "/dashboard/team", {"member": str(member.pk), "monthly_cap": value}
        )
        assert response.status_code == 400
        assert message in response.content.decode()
        assert not SpendLimit.objects.exists()

    def test_a_member_sees_only_their_own_spend_and_cannot_set_it(
        self, funded, owner, member, member_client
    ):
        cap(funded, member=owner, monthly_cap=11)
        cap(funded, member=member, monthly_cap=22)
        html = member_client.get("/dashboard/team").content.decode()
        assert "/ 22 credits" in html
        assert "/ 11 credits" not in html
        assert "Save cap" not in html
        response = member_client.post(
            "/dashboard/team", {"member": str(member.pk), "monthly_cap": "99"}
        )
        assert response.status_code == 403
        assert f'data-error-code="{NotTeamOwner.code}"' in response.text
        assert SpendLimit.objects.get(member__user=member).monthly_cap == 22

    def test_another_teams_member_is_404_on_the_page(self, funded, owner_client, other_owner):
        response = owner_client.post(
            "/dashboard/team", {"member": str(other_owner.pk), "monthly_cap": "5"}
        )
        assert response.status_code == 404
        assert not SpendLimit.objects.exists()

    def test_api_keys_page_sets_and_clears_a_key_cap(
        self, funded, owner_client, key, member_client
    ):
        api_key, _ = key
        response = owner_client.post(
            "/dashboard/api-keys", {"api_key": str(api_key.pk), "monthly_cap": "30"}
        )
        assert response.status_code == 302
        assert SpendLimit.objects.get(api_key=api_key).monthly_cap == 30
        assert "/ 30 credits since" in owner_client.get("/dashboard/api-keys").content.decode()
        bad = owner_client.post(
            "/dashboard/api-keys", {"api_key": str(api_key.pk), "monthly_cap": "x"}
        )
        assert bad.status_code == 400
        assert "Enter a whole number." in bad.content.decode()
        owner_client.post("/dashboard/api-keys", {"api_key": str(api_key.pk), "monthly_cap": ""})
        assert not SpendLimit.objects.exists()
        assert ApiKey.objects.filter(team=funded).count() == 1

        member_view = member_client.get("/dashboard/api-keys").content.decode()
        assert "credits since" not in member_view
        forbidden = member_client.post(
            "/dashboard/api-keys", {"api_key": str(api_key.pk), "monthly_cap": "1"}
        )
        assert forbidden.status_code == 403
        assert f'data-error-code="{NotTeamOwner.code}"' in forbidden.text


# --- concurrency --------------------------------------------------------------------------

ACCEPTED = 7
THREADS = 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_never_pass_the_cap():
    owner = make_user()
    team = owner.memberships.get().team
    team.plan = Plan.objects.get(code="pro")  # 50 queued jobs: the queue limit stays out of it
    team.subscription_status = "active"
    team.save()
    give_credits(team, THREADS * cost())
    member = make_member(team=team)
    reference_model = ReferenceModel.objects.create(
        slug="ava", name="Ava", category="fashion", base_prompt="portrait of Ava"
    )
    cap(team, member=member, monthly_cap=ACCEPTED * cost())

    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS

    def worker(i):
        try:
            barrier.wait()
            results[i] = submit(team, reference_model, user=member)
        except Exception as exc:  # noqa: BLE001 - the test counts what each thread got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    accepted = [r for r in results if isinstance(r, Job)]
    refused = [r for r in results if isinstance(r, SpendLimitReached)]
    assert (len(accepted), len(refused)) == (ACCEPTED, THREADS - ACCEPTED), results
    assert Job.objects.filter(team=team).count() == ACCEPTED
    assert credits_balance_get(team=team).reserved == ACCEPTED * cost()
    assert ledger_audit() == []
