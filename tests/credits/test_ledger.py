import pytest
from django.db import IntegrityError, transaction

from genfans.core.errors import ValidationError
from genfans.core.identity import person_key
from genfans.credits.audit import ledger_audit
from genfans.credits.errors import InsufficientCredits
from genfans.credits.models import (
    CreditBalance,
    CreditReservation,
    CreditTransaction,
    Kind,
    ReservationStatus,
)
from genfans.credits.selectors import credit_transaction_list_for_team, credits_balance_get
from genfans.credits.services import (
    credits_adjust,
    credits_capture,
    credits_free_grant,
    credits_grant,
    credits_release,
    credits_reserve,
)
from genfans.teams.models import Action, ActivityLog
from tests.credits.factories import give_credits, make_job
from tests.factories import make_user


def balance_of(team) -> tuple[int, int]:
    balance = credits_balance_get(team=team)
    return balance.available, balance.reserved


def kinds(team) -> list[tuple[str, int]]:
    return [
        (t.kind, t.amount)
        for t in CreditTransaction.objects.filter(team=team).order_by("created_at", "pk")
    ]


@pytest.mark.django_db
class TestFreeGrant:
    def test_a_verified_owners_team_gets_the_free_plans_50_credits_once(self, team):
        assert balance_of(team) == (50, 0)
        row = CreditTransaction.objects.get(team=team)
        assert (row.kind, row.amount, row.idempotency_key, row.reference) == (
            "grant",
            50,
            f"free:{person_key('owner@example.com')}",
            "free grant",
        )
        assert (row.available_after, row.reserved_after) == (50, 0)

    def test_replaying_the_free_grant_changes_nothing(self, team):
        key = person_key("owner@example.com")
        assert credits_free_grant(team=team, person_key=key, amount=50) is False
        assert balance_of(team) == (50, 0)
        assert CreditTransaction.objects.filter(team=team).count() == 1

    def test_the_same_person_on_another_team_gets_nothing(self, team, other_team):
        key = person_key("Owner+again@Example.com")
        assert credits_free_grant(team=other_team, person_key=key, amount=50) is False
        assert balance_of(other_team) == (50, 0)
        assert CreditTransaction.objects.filter(team=other_team).count() == 1


@pytest.mark.django_db
class TestReserveCaptureRelease:
    def test_reserve_moves_available_to_reserved(self, team):
        job = make_job(team)
        credits_reserve(team=team, job=job, amount=30)
        assert balance_of(team) == (20, 30)
        reservation = CreditReservation.objects.get(job=job)
        assert (reservation.amount, reservation.status) == (30, ReservationStatus.PENDING)
        row = CreditTransaction.objects.get(idempotency_key=f"job:{job.pk}:reserve")
        assert (row.kind, row.amount, row.available_after, row.reserved_after, row.job_id) == (
            "reserve",
            30,
            20,
            30,
            job.pk,
        )

    def test_reserve_is_idempotent_per_job(self, team):
        job = make_job(team)
        credits_reserve(team=team, job=job, amount=30)
        credits_reserve(team=team, job=job, amount=30)
        assert balance_of(team) == (20, 30)
        assert CreditTransaction.objects.filter(team=team, kind=Kind.RESERVE).count() == 1

    def test_insufficient_credits_changes_nothing(self, team):
        job = make_job(team)
        with pytest.raises(InsufficientCredits) as exc:
            credits_reserve(team=team, job=job, amount=51)
        assert exc.value.code == "insufficient_credits"
        assert exc.value.details == {"needed": 51, "available": 50}
        assert balance_of(team) == (50, 0)
        assert not CreditReservation.objects.exists()
        assert CreditTransaction.objects.filter(team=team).count() == 1

    def test_reserving_exactly_everything_works(self, team):
        credits_reserve(team=team, job=make_job(team), amount=50)
        assert balance_of(team) == (0, 50)

    def test_capture_charges_up_to_the_reservation_and_releases_the_rest(self, team):
        job = make_job(team)
        credits_reserve(team=team, job=job, amount=40)
        assert credits_capture(job=job, amount=25) == 25
        assert balance_of(team) == (25, 0)
        assert kinds(team)[-2:] == [("capture", 25), ("release", 15)]
        reservation = CreditReservation.objects.get(job=job)
        assert (reservation.status, reservation.captured) == (ReservationStatus.CAPTURED, 25)
        assert reservation.resolved_at is not None

    def test_each_row_records_the_balance_just_after_it(self, team):
        """A capture and its release are appended by one statement: each still records its
        own balance-after, and the returned rows are the stored ones."""
        job = make_job(team)
        credits_reserve(team=team, job=job, amount=40)
        credits_capture(job=job, amount=25)
        rows = CreditTransaction.objects.filter(job=job)
        assert {(r.kind, r.amount, r.available_after, r.reserved_after) for r in rows} == {
            ("reserve", 40, 10, 40),
            ("capture", 25, 10, 15),
            ("release", 15, 25, 0),
        }
        adjusted = credits_adjust(team=team, amount=-5, reason="refund", user=None)
        stored = CreditTransaction.objects.get(pk=adjusted.pk)
        assert (adjusted.available_after, adjusted.created_at) == (20, stored.created_at)
        assert stored.available_after == 20

    def test_capture_more_than_reserved_charges_only_the_reservation(self, team):
        job = make_job(team)
        credits_reserve(team=team, job=job, amount=40)
        assert credits_capture(job=job, amount=45) == 40
        assert balance_of(team) == (10, 0)
        assert kinds(team)[-1] == ("capture", 40)

    def test_second_capture_and_release_after_capture_change_nothing(self, team):
        job = make_job(team)
        credits_reserve(team=team, job=job, amount=40)
        credits_capture(job=job, amount=40)
        rows = CreditTransaction.objects.count()
        assert credits_capture(job=job, amount=40) == 0
        assert credits_release(job=job) == 0
        assert balance_of(team) == (10, 0)
        assert CreditTransaction.objects.count() == rows

    def test_release_returns_everything_once(self, team):
        job = make_job(team)
        credits_reserve(team=team, job=job, amount=40)
        assert credits_release(job=job) == 40
        assert credits_release(job=job) == 0
        assert credits_capture(job=job, amount=10) == 0
        assert balance_of(team) == (50, 0)
        assert CreditReservation.objects.get(job=job).status == ReservationStatus.RELEASED

    def test_capture_zero_releases_all(self, team):
        job = make_job(team)
        credits_reserve(team=team, job=job, amount=40)
        assert credits_capture(job=job, amount=0) == 0
        assert balance_of(team) == (50, 0)
        assert kinds(team)[-1] == ("release", 40)

    def test_no_reservation_means_nothing_to_resolve(self, team):
        job = make_job(team)
        assert credits_capture(job=job, amount=10) == 0
        assert credits_release(job=job) == 0
        assert balance_of(team) == (50, 0)

    def test_a_job_rolled_back_with_its_reservation_leaves_no_trace(self, team):
        with pytest.raises(RuntimeError), transaction.atomic():
            credits_reserve(team=team, job=make_job(team), amount=30)
            raise RuntimeError("job creation failed after the reservation")
        assert balance_of(team) == (50, 0)
        assert not CreditReservation.objects.exists()

    def test_another_teams_job_is_refused(self, team):
        other = make_user().memberships.get().team
        with pytest.raises(ValueError):
            credits_reserve(team=team, job=make_job(other), amount=1)

    @pytest.mark.parametrize("amount", [-1, 1.5, "3", True])
    def test_bad_amounts_are_refused(self, team, amount):
        with pytest.raises(ValidationError):
            credits_reserve(team=team, job=make_job(team), amount=amount)

    def test_audit_is_clean_after_a_mix(self, team):
        give_credits(team, 100)
        jobs = [make_job(team) for _ in range(4)]
        for job in jobs:
            credits_reserve(team=team, job=job, amount=30)
        credits_capture(job=jobs[0], amount=10)
        credits_release(job=jobs[1])
        credits_capture(job=jobs[2], amount=30)
        assert balance_of(team) == (150 - 120 + 20 + 30, 30)
        assert ledger_audit() == []


@pytest.mark.django_db
class TestGrantAdjust:
    def test_grant_is_once_per_key(self, team):
        assert credits_grant(team=team, amount=100, idempotency_key="promo:1", reference="promo")
        assert not credits_grant(team=team, amount=100, idempotency_key="promo:1")
        assert balance_of(team) == (150, 0)

    def test_a_team_without_a_balance_gets_one_lazily(self, team):
        CreditBalance.objects.filter(team=team).delete()
        CreditTransaction.objects.filter(team=team).delete()
        assert credits_balance_get(team=team).pk is None or balance_of(team) == (0, 0)
        give_credits(team, 7)
        assert balance_of(team) == (7, 0)

    def test_adjust_logs_the_reason(self, team, owner):
        row = credits_adjust(team=team, amount=-20, reason="refund reversal", user=owner)
        assert (row.kind, row.amount, row.reason, row.created_by) == (
            "adjust",
            -20,
            "refund reversal",
            owner,
        )
        assert balance_of(team) == (30, 0)
        log = ActivityLog.objects.get(team=team, action=Action.CREDITS_ADJUSTED)
        assert log.metadata == {"amount": -20, "reason": "refund reversal", "available_after": 30}
        assert ledger_audit() == []

    def test_adjust_below_zero_is_refused(self, team, owner):
        with pytest.raises(InsufficientCredits):
            credits_adjust(team=team, amount=-51, reason="too much", user=owner)
        assert balance_of(team) == (50, 0)

    @pytest.mark.parametrize(("amount", "reason"), [(0, "x"), (5, "  "), (2.5, "x")])
    def test_adjust_needs_an_amount_and_a_reason(self, team, owner, amount, reason):
        with pytest.raises(ValidationError):
            credits_adjust(team=team, amount=amount, reason=reason, user=owner)

    def test_adjust_replay_returns_the_first_row(self, team, owner):
        first = credits_adjust(team=team, amount=5, reason="r", user=owner, idempotency_key="k1")
        again = credits_adjust(team=team, amount=5, reason="r", user=owner, idempotency_key="k1")
        assert first.pk == again.pk
        assert balance_of(team) == (55, 0)


@pytest.mark.django_db
class TestLedgerIsAppendOnlyAndConstrained:
    def test_the_database_refuses_a_negative_balance(self, team):
        with pytest.raises(IntegrityError), transaction.atomic():
            CreditBalance.objects.filter(team=team).update(available=-1)

    def test_the_database_refuses_a_duplicate_key(self, team):
        row = CreditTransaction.objects.get(team=team)
        with pytest.raises(IntegrityError), transaction.atomic():
            CreditTransaction.objects.create(
                team=team,
                kind="grant",
                amount=1,
                available_after=0,
                reserved_after=0,
                idempotency_key=row.idempotency_key,
            )

    def test_history_filters_by_kind(self, team):
        credits_reserve(team=team, job=make_job(team), amount=5)
        assert [t.kind for t in credit_transaction_list_for_team(team=team)] == ["reserve", "grant"]
        assert [t.kind for t in credit_transaction_list_for_team(team=team, kind="grant")] == [
            "grant"
        ]
        with pytest.raises(ValidationError):
            credit_transaction_list_for_team(team=team, kind="bogus")


@pytest.mark.django_db
def test_a_ledger_row_cannot_be_edited_or_deleted_through_the_orm(team):
    row = CreditTransaction.objects.get(team=team)
    row.amount = 5000
    with pytest.raises(ValueError):
        row.save()
    with pytest.raises(ValueError):
        row.delete()
    assert CreditTransaction.objects.get(team=team).amount == 50
