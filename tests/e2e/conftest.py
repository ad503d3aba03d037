"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server."""

import os
from pathlib import Path

import pytest

from tests.workers import WorkerThread

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(autouse=True)
def _browser_db(transactional_db):
    """Pages run in the live server's thread, so tests use real commits."""


@pytest.fixture(autouse=True, scope="session")
def _allow_async_unsafe():
    # Playwright's sync API runs an event loop in the test thread; Django's ORM calls made
    # by the test itself (setup and assertions) are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture
def worker(settings):
    """A database task worker in a thread, running jobs on the sandbox with a little latency
    so pages show them queued and running before they finish."""
    settings.SANDBOX_LATENCY_SECONDS = 1.0
    settings.SANDBOX_FAILURE_RATE = 0
    settings.GENFANS_PROVIDER = "sandbox"
    thread = WorkerThread("e2e", interval=0.05)
    thread.start()
    yield
    thread.stop()


def pytest_collection_modifyitems(items):
    # A conftest hook sees the whole session's items, not only this folder's.
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)
