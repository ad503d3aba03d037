"""The coverage floor `make test` holds, after both passes and the processes the production
tests start have been combined: every module of the app covers at least FLOOR per cent of its
lines. A module may sit below it only if it is named here with the reason.

`python -m tests.coverage_floor` prints the modules under the floor and exits 1 when one is not
excused; `coverage report` shows the lines."""

import sys
from pathlib import Path

from coverage import Coverage

FLOOR = 90.0
# Path (from src/) → why its lines are not run by the suite.
EXCUSED: dict[str, str] = {}


def module_coverage() -> dict[str, tuple[float, int]]:
    """Per module under src/genfans: (per cent of lines covered, lines missed)."""
    cov = Coverage()
    cov.load()
    measured = {}
    for filename in cov.get_data().measured_files():
        path = Path(filename)
        if "src" not in path.parts:
            continue
        _, statements, _, missing, _ = cov.analysis2(filename)
        relative = "/".join(path.parts[path.parts.index("src") + 1 :])
        if statements:
            measured[relative] = (
                100.0 * (len(statements) - len(missing)) / len(statements),
                len(missing),
            )
    return measured


def main() -> int:
    measured = module_coverage()
    lines = sum(1 for _ in measured)
    below = {path: figures for path, figures in measured.items() if figures[0] < FLOOR}
    failing = sorted(path for path in below if path not in EXCUSED)
    for path in sorted(below):
        percent, missed = below[path]
        why = EXCUSED.get(path, "NOT EXCUSED")
        print(f"{percent:5.1f}%  {missed:4d} lines missed  {path}  ({why})")
    print(f"{lines} modules measured; {len(below)} under {FLOOR:.0f}%, {len(failing)} not excused")
    stale = sorted(set(EXCUSED) - set(below))
    if stale:
        print("excused but now at the floor, drop from EXCUSED:", ", ".join(stale))
    return 1 if failing or stale else 0


if __name__ == "__main__":
    sys.exit(main())
