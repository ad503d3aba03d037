"""The fault matrix's bookkeeping: every cell ends by checking the ledger and the jobs, and the
counts (jobs, lost, double-charged) are printed as one table at the end of the run.

`soak` tests (long, real processes, many jobs) run only with `make soak` (GENFANS_SOAK=1 or
`-m soak`); `make test` deselects them.
"""

import os
from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from genfans.credits.audit import ledger_audit
from genfans.credits.models import CreditReservation, CreditTransaction, Kind, ReservationStatus
from genfans.studio.models import FINAL_STATUSES, Job, JobStatus
from tests.studio.conftest import engine, reference_model  # noqa: F401 - shared fixtures


@dataclass
class Cell:
    name: str
    database: str
    jobs: int
    lost: int
    double_charged: int
    audit_problems: int


MATRIX: list[Cell] = []


def soak_enabled(config) -> bool:
    return os.environ.get("GENFANS_SOAK") == "1" or "soak" in (config.getoption("-m") or "")


def pytest_collection_modifyitems(config, items):
    if soak_enabled(config):
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("soak") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def settle_report(name: str, *, jobs=None) -> Cell:
    """Count what a fault left behind and record it in the matrix, then fail the cell if
    anything was lost or charged twice, or the ledger does not add up."""
    from django.db import connection

    jobs = Job.objects.all() if jobs is None else jobs
    job_ids = list(jobs.values_list("pk", flat=True))
    unfinished = jobs.exclude(status__in=FINAL_STATUSES).count()
    still_held = (
        CreditReservation.objects.filter(job_id__in=job_ids, status=ReservationStatus.PENDING)
        .filter(job__status__in=FINAL_STATUSES)
        .count()
    )
    # Succeeded but nothing charged: work delivered and never paid for is lost too.
    unpaid = jobs.filter(status=JobStatus.SUCCEEDED, credits_charged=0).count()
    captures = (
        CreditTransaction.objects.filter(job_id__in=job_ids, kind=Kind.CAPTURE)
        .values("job_id")
        .annotate(n=Count("id"), total=Sum("amount"))
    )
    charged = dict(jobs.values_list("pk", "credits_charged"))
    double = sum(1 for row in captures if row["n"] > 1 or row["total"] != charged[row["job_id"]])
    over = jobs.filter(Q(credits_charged__gt=0) & Q(status__in=[JobStatus.FAILED])).count()
    problems = ledger_audit()
    cell = Cell(
        name=name,
        database=connection.vendor,
        jobs=len(job_ids),
        lost=unfinished + still_held + unpaid,
        double_charged=double + over,
        audit_problems=len(problems),
    )
    MATRIX.append(cell)
    assert problems == []
    assert (cell.lost, cell.double_charged) == (0, 0), cell
    return cell


def pytest_terminal_summary(terminalreporter):
    if not MATRIX:
        return
    write = terminalreporter.write_line
    terminalreporter.section("fault matrix")
    write(f"{'cell':58} {'db':10} {'jobs':>5} {'lost':>5} {'double-charged':>15} {'audit':>6}")
    for cell in MATRIX:
        write(
            f"{cell.name:58} {cell.database:10} {cell.jobs:>5} {cell.lost:>5} "
            f"{cell.double_charged:>15} {cell.audit_problems:>6}"
        )
    totals = (sum(c.jobs for c in MATRIX), sum(c.lost for c in MATRIX))
    write(
        f"{'total':58} {'':10} {totals[0]:>5} {totals[1]:>5} "
        f"{sum(c.double_charged for c in MATRIX):>15} {sum(c.audit_problems for c in MATRIX):>6}"
    )
