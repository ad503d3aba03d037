import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from genfans.credits.audit import ledger_audit
from genfans.credits.models import CreditBalance, CreditReservation
from genfans.credits.services import credits_capture, credits_reserve
from genfans.studio.models import Job, JobStatus
from tests.credits.factories import make_job

pytestmark = pytest.mark.django_db


def audit_output() -> tuple[str, str, int]:
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("credits", "audit", stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return out.getvalue(), err.getvalue(), code


def test_a_clean_ledger_passes(team):
    job = make_job(team)
    credits_reserve(team=team, job=job, amount=20)
    credits_capture(job=job, amount=5)
    out, err, code = audit_output()
    assert code == 0
    assert "1 balances, 4 ledger rows, 0 pending reservations, 45 available, 0 reserved" in out
    assert "ledger OK" in out
    assert err == ""


def test_a_hand_edited_balance_is_found(team):
    CreditBalance.objects.filter(team=team).update(available=51)  # planted, bypassing the ledger
    problems = ledger_audit()
    assert problems == [f"team {team.pk}: available is 51 but its ledger sums to 50"]
    out, err, code = audit_output()
    assert code == 1
    assert f"DISCREPANCY team {team.pk}: available is 51" in err


def test_reserved_without_a_reservation_is_found(team):
    CreditBalance.objects.filter(team=team).update(available=40, reserved=10)
    problems = ledger_audit()
    assert len(problems) == 3  # available and reserved differ from the ledger and reservations


def test_a_finished_job_holding_a_reservation_is_found(team):
    job = make_job(team)
    credits_reserve(team=team, job=job, amount=20)
    # Ended (status and finished_at, as the engine sets them) without a release.
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, finished_at=timezone.now())
    assert ledger_audit() == [f"job {job.pk} is failed but still holds 20 reserved credits"]
    assert audit_output()[2] == 1


def test_a_reservation_resolved_behind_the_ledgers_back_is_found(team):
    job = make_job(team)
    credits_reserve(team=team, job=job, amount=20)
    CreditReservation.objects.filter(job=job).update(status="released")
    assert ledger_audit() == [f"team {team.pk}: reserved is 20 but its pending reservations hold 0"]


def test_a_team_with_ledger_rows_but_no_balance_is_found(team):
    CreditBalance.objects.filter(team=team).delete()
    assert ledger_audit() == [f"team {team.pk}: available is 0 but its ledger sums to 50"]
