"""Ledger contention load: `threads` clients reserve then capture credits of ONE team, each in
its own transaction through the real credit services, for `seconds`. Prints one JSON line.

Usage: ledger_load.py TEAM_ID JOBS_FILE SLICE SLICES THREADS SECONDS
(bench.py starts several of these processes, each with its own slice of the jobs).
"""

import json
import os
import sys
import threading
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
django.setup()

from django.db import connection, transaction  # noqa: E402

from genfans.credits.services import credits_capture, credits_reserve  # noqa: E402
from genfans.studio.models import Job  # noqa: E402
from genfans.teams.models import Team  # noqa: E402


def main() -> None:
    team_id, jobs_file, part, parts, threads, seconds = sys.argv[1:]
    part, parts, threads, seconds = int(part), int(parts), int(threads), float(seconds)
    team = Team.objects.get(pk=team_id)
    job_ids = Path(jobs_file).read_text().split()[part::parts]
    shares = [job_ids[i::threads] for i in range(threads)]
    ops = [0] * threads
    errors = [0] * threads
    start = threading.Barrier(threads + 1)
    deadline = [0.0]

    def client(index: int) -> None:
        start.wait()
        for job_id in shares[index]:
            if time.monotonic() >= deadline[0]:
                break
            job = Job(pk=job_id, team_id=team.pk)
            try:
                with transaction.atomic():
                    credits_reserve(team=team, job=job, amount=1)
                with transaction.atomic():
                    credits_capture(job=job, amount=1)
                ops[index] += 2
            except Exception:  # noqa: BLE001 - counted and reported, never hidden
                errors[index] += 1
        connection.close()

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    began = time.monotonic()
    deadline[0] = began + seconds
    start.wait()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - began
    # Ran out of jobs before the time was up: the figure is still right, the run shorter.
    exhausted = elapsed < seconds * 0.95
    print(
        json.dumps(
            {"ops": sum(ops), "errors": sum(errors), "seconds": elapsed, "exhausted": exhausted}
        )
    )


if __name__ == "__main__":
    main()
