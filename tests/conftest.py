import pytest
from django.db import connection

from tests.factories import make_user


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests are deselected (not skipped) on SQLite: the PostgreSQL pass,
    which CI requires, runs them."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("postgres") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def _plans_after_flush(request):
    """Transactional tests flush every table when they end, the free plan the migrations
    made included, so each one starts by putting the plans back."""
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    if (
        "transactional_db" in names
        or "live_server" in names
        or (marker is not None and marker.kwargs.get("transaction"))
    ):
        from genfans.billing.seed import seed_plans

        request.getfixturevalue("transactional_db")
        seed_plans()


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    yield
    cache.clear()


@pytest.fixture
def owner(db):
    return make_user(email="owner@example.com")


@pytest.fixture
def team(owner):
    return owner.memberships.get().team


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def is_postgres() -> bool:
    return connection.vendor == "postgresql"
