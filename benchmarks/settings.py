"""Settings for `make bench`: the production settings, plus the floor views, and files kept
out of the checkout's own database and media (the bench owns BENCH_DIR and nothing else)."""

import os
from pathlib import Path

from genfans.config.settings import *  # noqa: F403
from genfans.config.settings import DATABASES

BENCH_DIR = Path(os.environ.get("BENCH_DIR", "/tmp/genfans-bench"))
ROOT_URLCONF = "benchmarks.urls"
MEDIA_ROOT = BENCH_DIR / "media"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["NAME"] = BENCH_DIR / "bench.sqlite3"
