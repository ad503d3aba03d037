"""Verified emails: sign-up sends the link, verifying gives the Free grant once per person."""

import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client

from genfans.accounts.models import User
from genfans.accounts.services import email_verify, team_create_for_user, user_delete, user_update
from genfans.accounts.verification import VERIFICATION_MAX_AGE, email_verification_token_make
from genfans.billing.models import Plan
from genfans.billing.seed import seed_plans
from genfans.credits.models import CreditTransaction
from genfans.credits.selectors import credits_balance_get
from genfans.teams.models import Action, ActivityLog
from tests.factories import PASSWORD, make_api_key, make_member, make_user

pytestmark = pytest.mark.django_db
JSON = "application/json"
LINK = re.compile(r"(https?://\S+)/verify-email/(\S+)")
INVALID = "verification_link_invalid"


@pytest.fixture
def clock(monkeypatch):
    """Moves `time.time` (signing timestamps, the cache's expiry) by `clock.shift(seconds)`."""

    class Clock:
        offset = 0.0

        def shift(self, seconds: float) -> None:
            self.offset += seconds

    clock = Clock()
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + clock.offset)
    return clock


def credits_of(user) -> int:
    return credits_balance_get(team=user.memberships.get().team).available


def state(user) -> tuple:
    """Everything a verification may change."""
    user = User.all_objects.get(pk=user.pk)
    return (
        user.email_verified_at,
        CreditTransaction.objects.count(),
        ActivityLog.objects.filter(action=Action.VERIFY_EMAIL).count(),
        sorted(credits_balance_get(team=m.team).available for m in user.memberships.all()),
    )


def token_in(message) -> str:
    return LINK.search(message.body).group(2)


def sign_up(client, django_capture_on_commit_callbacks, email="ann@example.com"):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/auth/sign-up", {"email": email, "password": PASSWORD}, content_type=JSON
        )
    assert response.status_code == 201
    return User.objects.get(email=email.lower())


class TestSignUpSendsTheLink:
    def test_one_email_whose_link_verifies_and_grants_50(
        self, client, immediate_tasks, settings, django_capture_on_commit_callbacks
    ):
        user = sign_up(client, django_capture_on_commit_callbacks)
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert (message.to, message.subject) == (["ann@example.com"], "Verify your GenFans email")
        assert LINK.search(message.body).group(1) == settings.BASE_URL
        assert user.email_verified_at is None
        assert credits_of(user) == 0
        assert CreditTransaction.objects.count() == 0

        response = client.get(f"/verify-email/{token_in(message)}")

        assert response.status_code == 302
        assert response.url == "/dashboard/"
        user.refresh_from_db()
        assert user.email_verified_at is not None
        assert credits_of(user) == 50
        row = CreditTransaction.objects.get()
        assert (row.kind, row.amount, row.reference) == ("grant", 50, "free grant")
        log = ActivityLog.objects.get(action=Action.VERIFY_EMAIL)
        assert (log.user, log.team, log.metadata) == (
            user,
            user.memberships.get().team,
            {"free_credits": 50},
        )

    def test_the_sign_up_page_sends_it_too(
        self, client, immediate_tasks, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/sign-up", {"email": "bo@example.com", "password": PASSWORD})
        assert response.status_code == 302
        assert [m.to for m in mail.outbox] == [["bo@example.com"]]

    def test_the_email_waits_for_the_commit(self, client, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            client.post(
                "/api/auth/sign-up",
                {"email": "ann@example.com", "password": PASSWORD},
                content_type=JSON,
            )
        assert len(callbacks) == 1
        assert mail.outbox == []

    def test_a_rejected_sign_up_sends_nothing(
        self, client, immediate_tasks, django_capture_on_commit_callbacks
    ):
        make_user(email="ann@example.com")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/api/auth/sign-up",
                {"email": "ann@example.com", "password": PASSWORD},
                content_type=JSON,
            )
        assert response.status_code == 409
        assert mail.outbox == []


class TestVerifying:
    def test_replaying_the_link_changes_nothing(self, client):
        user = make_user(email="ann@example.com", verified=False)
        token = email_verification_token_make(user)
        assert client.get(f"/verify-email/{token}").status_code == 302
        before = state(user)
        again = client.get(f"/verify-email/{token}", follow=True)
        assert again.status_code == 200
        assert "Your email is already verified." in again.content.decode()
        assert state(user) == before
        assert before[1:] == (1, 1, [50])

    def test_a_link_just_under_three_days_old_works(self, clock):
        user = make_user(verified=False)
        clock.shift(-(VERIFICATION_MAX_AGE - timedelta(minutes=1)).total_seconds())
        token = email_verification_token_make(user)
        clock.shift((VERIFICATION_MAX_AGE - timedelta(minutes=1)).total_seconds())
        assert email_verify(token=token).credits_granted == 50

    def test_each_person_is_counted_by_their_canonical_address(self):
        ann = make_user(email="ann@example.com")
        ann_tagged = make_user(email="Ann+studio@Example.com")
        assert (credits_of(ann), credits_of(ann_tagged)) == (50, 0)


def _expired_token(user, clock) -> str:
    clock.shift(-VERIFICATION_MAX_AGE.total_seconds() - 1)
    token = email_verification_token_make(user)
    clock.shift(VERIFICATION_MAX_AGE.total_seconds() + 1)
    return token


class TestRejectedLinks:
    @pytest.fixture
    def user(self, db):
        return make_user(email="ann@example.com", verified=False)

    def bad_tokens(self, user, clock) -> dict[str, tuple[str, str]]:
        token = email_verification_token_make(user)
        changed = email_verification_token_make(user)
        user_update(user=user, name="", email="ann.new@example.com")
        return {
            "tampered": (token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), "not valid"),
            "forged payload": ("e30:1abc:" + token.rsplit(":", 1)[1], "not valid"),
            "garbage": ("not-a-token", "not valid"),
            "expired": (_expired_token(user, clock), "expired"),
            "changed email": (changed, "no longer uses"),
        }

    @pytest.mark.parametrize(
        "case", ["tampered", "forged payload", "garbage", "expired", "changed email"]
    )
    def test_the_api_answers_400_and_changes_nothing(self, client, user, clock, case):
        token, message = self.bad_tokens(user, clock)[case]
        before = state(user)
        response = client.post("/api/auth/verify-email", {"token": token}, content_type=JSON)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == INVALID
        assert message in error["message"]
        assert state(user) == before
        assert before[1:] == (0, 0, [0])

    @pytest.mark.parametrize("case", ["tampered", "expired", "changed email"])
    def test_the_page_shows_the_error_and_changes_nothing(self, client, user, clock, case):
        token, message = self.bad_tokens(user, clock)[case]
        before = state(user)
        response = client.get(f"/verify-email/{token}")
        assert response.status_code == 400
        assert message in response.content.decode()
        assert state(user) == before

    def test_a_deleted_accounts_link_is_dead(self, client, user):
        token = email_verification_token_make(user)
        user_delete(user=user, password=PASSWORD)
        before = state(user)
        response = client.post("/api/auth/verify-email", {"token": token}, content_type=JSON)
        assert (response.status_code, response.json()["error"]["code"]) == (400, INVALID)
        assert state(user) == before

    def test_the_new_address_gets_a_link_that_works(
        self, user, clock, immediate_tasks, django_capture_on_commit_callbacks
    ):
        clock.shift(61)
        with django_capture_on_commit_callbacks(execute=True):
            user_update(user=user, name="", email="ann.new@example.com")
        assert [m.to for m in mail.outbox] == [["ann.new@example.com"]]
        assert email_verify(token=token_in(mail.outbox[0])).credits_granted == 50


class TestChangingEmail:
    def test_a_new_address_must_be_verified_and_counts_as_its_own_person(
        self, clock, immediate_tasks, django_capture_on_commit_callbacks
    ):
        user = make_user(email="ann@example.com")
        clock.shift(61)
        with django_capture_on_commit_callbacks(execute=True):
            user_update(user=user, name="", email="bo@example.com")
        user.refresh_from_db()
        assert user.email_verified_at is None
        assert [m.to for m in mail.outbox] == [["bo@example.com"]]
        assert credits_of(user) == 50
        assert email_verify(token=token_in(mail.outbox[0])).credits_granted == 50
        assert credits_of(user) == 100

    def test_back_to_a_tag_of_the_same_inbox_grants_nothing_more(self):
        user = make_user(email="ann@example.com")
        user_update(user=user, name="", email="ann+work@example.com")
        outcome = email_verify(token=email_verification_token_make(user))
        assert (outcome.newly_verified, outcome.credits_granted) == (True, 0)
        assert credits_of(user) == 50

    def test_the_general_page_says_to_verify(self, owner_client, owner):
        response = owner_client.post(
            "/dashboard/general", {"name": "", "email": "olivia@example.com"}, follow=True
        )
        content = response.content.decode()
        assert "Verify olivia@example.com with the link we email it." in content
        assert TestPages.BANNER in content
        owner.refresh_from_db()
        assert owner.email_verified_at is None


class TestOncePerPerson:
    @pytest.mark.parametrize("again", ["ann@example.com", "ANN+second@example.com"])
    def test_signing_up_again_after_deleting_the_account_verifies_without_a_grant(
        self, client, again
    ):
        first = make_user(email="ann@example.com")
        assert credits_of(first) == 50
        user_delete(user=first, password=PASSWORD)
        second = make_user(email=again, verified=False)
        rows = CreditTransaction.objects.count()

        response = client.get(f"/verify-email/{email_verification_token_make(second)}", follow=True)

        assert response.status_code == 200
        assert "has had them before" in response.content.decode()
        second.refresh_from_db()
        assert second.email_verified_at is not None
        assert credits_of(second) == 0
        assert CreditTransaction.objects.count() == rows
        log = ActivityLog.objects.get(action=Action.VERIFY_EMAIL, user=second)
        assert log.metadata == {"free_credits": 0}

    def test_two_teams_of_one_person_get_one_grant_on_the_oldest(self):
        user = make_user(email="ann@example.com", verified=False)
        first = user.memberships.get().team
        second = team_create_for_user(user=user, name="Second")

        outcome = email_verify(token=email_verification_token_make(user))

        assert (outcome.team, outcome.credits_granted) == (first, 50)
        assert credits_balance_get(team=first).available == 50
        assert credits_balance_get(team=second).available == 0
        third = team_create_for_user(user=outcome.user, name="Third")
        assert credits_balance_get(team=third).available == 0
        assert CreditTransaction.objects.count() == 1

    def test_a_team_on_the_free_plan_is_preferred_to_an_older_paid_one(self):
        seed_plans()
        user = make_user(email="ann@example.com", verified=False)
        paid = user.memberships.get().team
        paid.plan = Plan.objects.get(code="pro")
        paid.save()
        free = team_create_for_user(user=user, name="Second")
        outcome = email_verify(token=email_verification_token_make(user))
        assert (outcome.team, outcome.credits_granted) == (free, 50)
        assert credits_balance_get(team=paid).available == 0

    def test_a_person_without_a_team_gets_it_with_their_first_team(self, team):
        member = make_member(team=team, email="mia@example.com", verified=False)
        outcome = email_verify(token=email_verification_token_make(member))
        assert (outcome.team, outcome.credits_granted) == (None, 0)
        assert credits_balance_get(team=team).available == 50
        log = ActivityLog.objects.get(action=Action.VERIFY_EMAIL, user=member)
        assert (log.team, log.metadata) == (team, {"free_credits": 0})
        own = team_create_for_user(user=outcome.user, name="Mia's studio")
        assert credits_balance_get(team=own).available == 50
        assert credits_balance_get(team=team).available == 50

    def test_an_unverified_person_creating_a_team_gets_nothing_yet(self, team):
        member = make_member(team=team, email="mia@example.com", verified=False)
        own = team_create_for_user(user=member, name="Mia's studio")
        assert credits_balance_get(team=own).available == 0
        assert email_verify(token=email_verification_token_make(member)).team == own
        assert credits_balance_get(team=own).available == 50


class TestResend:
    def test_one_email_a_minute(
        self, client, clock, immediate_tasks, django_capture_on_commit_callbacks
    ):
        sign_up(client, django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            too_soon = client.post("/api/auth/verify-email/resend")
        assert too_soon.status_code == 429
        assert too_soon.json()["error"]["code"] == "rate_limited"
        assert len(mail.outbox) == 1

        clock.shift(61)
        with django_capture_on_commit_callbacks(execute=True):
            resent = client.post("/api/auth/verify-email/resend")
            again = client.post("/api/auth/verify-email/resend")
        assert resent.status_code == 202
        assert resent.json() == {"message": "A new link is on its way to ann@example.com."}
        assert again.status_code == 429
        assert len(mail.outbox) == 2
        assert email_verify(token=token_in(mail.outbox[1])).credits_granted == 50

    def test_a_verified_user_is_told_so(self, owner_client, immediate_tasks):
        response = owner_client.post("/api/auth/verify-email/resend")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "email_already_verified"
        assert mail.outbox == []

    def test_a_visitor_or_an_api_key_cannot(self, client, team, owner):
        assert client.post("/api/auth/verify-email/resend").status_code == 401
        key = make_api_key(team=team, user=owner)
        response = client.post("/api/auth/verify-email/resend", HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code == 401


class TestApi:
    def test_verify_answers_the_user_and_get_user_shows_it(self, client):
        user = make_user(email="ann@example.com", verified=False)
        client.force_login(user)
        assert client.get("/api/user").json()["email_verified"] is False
        token = email_verification_token_make(user)

        response = client.post("/api/auth/verify-email", {"token": token}, content_type=JSON)

        assert response.status_code == 200
        body = response.json()
        assert (body["email"], body["email_verified"]) == ("ann@example.com", True)
        assert body["current_team_id"] == str(user.memberships.get().team_id)
        assert client.get("/api/user").json()["email_verified"] is True
        assert client.get("/api/credits/balance").json()["available"] == 50
        replay = client.post("/api/auth/verify-email", {"token": token}, content_type=JSON)
        assert (replay.status_code, replay.json()["email_verified"]) == (200, True)
        assert client.get("/api/credits/balance").json()["available"] == 50

    def test_the_link_needs_no_session(self, db):
        user = make_user(verified=False)
        response = Client().post(
            "/api/auth/verify-email",
            {"token": email_verification_token_make(user)},
            content_type=JSON,
        )
        assert response.status_code == 200
        assert credits_of(user) == 50


class TestPages:
    BANNER = "Verify your email to receive your 50 free credits"

    def test_sign_up_banner_link_dashboard(
        self, client, immediate_tasks, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/sign-up", {"email": "ann@example.com", "password": PASSWORD})
        dashboard = client.get("/dashboard/").content.decode()
        assert self.BANNER in dashboard
        assert "Resend the link" in dashboard

        page = client.get(f"/verify-email/{token_in(mail.outbox[0])}", follow=True)

        assert page.redirect_chain == [("/dashboard/", 302)]
        content = page.content.decode()
        assert "Your email is verified: 50 free credits were added to ann&#x27;s team." in content
        assert self.BANNER not in content
        assert credits_of(User.objects.get(email="ann@example.com")) == 50

    def test_the_resend_button(
        self, client, clock, immediate_tasks, django_capture_on_commit_callbacks
    ):
        user = make_user(email="ann@example.com", verified=False)
        client.force_login(user)
        clock.shift(61)
        with django_capture_on_commit_callbacks(execute=True):
            sent = client.post(
                "/dashboard/verify-email/resend", {"next": "/dashboard/team"}, follow=True
            )
            too_soon = client.post("/dashboard/verify-email/resend", follow=True)
        assert sent.redirect_chain == [("/dashboard/team", 302)]
        assert "A new link is on its way to ann@example.com." in sent.content.decode()
        assert "less than a minute ago" in too_soon.content.decode()
        assert len(mail.outbox) == 1

    def test_a_verified_user_sees_no_banner(self, owner_client):
        assert self.BANNER not in owner_client.get("/dashboard/").content.decode()

    def test_the_resend_button_needs_sign_in_and_post(self, owner_client):
        assert Client().post("/dashboard/verify-email/resend").status_code == 302
        assert owner_client.get("/dashboard/verify-email/resend").status_code == 405

    def test_a_bad_link_offers_a_new_one_to_a_signed_in_user(self, client):
        user = make_user(verified=False)
        client.force_login(user)
        page = client.get("/verify-email/garbage")
        assert page.status_code == 400
        assert f"Send a new link to {user.email}" in page.content.decode()
