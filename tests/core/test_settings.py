"""The app's settings hold no test switches: only the test settings module (tests/settings.py)
speeds up hashing and keeps the cache in memory, whatever else is imported."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import pytest, genfans.config.settings as s; "
    "print(s.PASSWORD_HASHERS[0].rsplit('.', 1)[1], "
    "s.CACHES['default']['BACKEND'].rsplit('.', 1)[1])"
)


def test_importing_pytest_changes_nothing_in_the_apps_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT / "src"),
            "GENFANS_HOME": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.split() == ["BCryptSHA256PasswordHasher", "DatabaseCache"]
