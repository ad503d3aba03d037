"""Every row lock goes through core/locks.py, so each is `FOR UPDATE OF self` and takes its
place in the one order (a bare `select_for_update()` beside a join locks the joined rows too)."""

from pathlib import Path

import genfans

SOURCE = Path(genfans.__file__).parent


def test_no_module_takes_a_row_lock_but_the_lock_module():
    takers = sorted(
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if "migrations" not in path.parts
        and path.name != "locks.py"
        and "select_for_update(" in path.read_text()
    )

    assert takers == []
