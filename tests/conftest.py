import pytest
from django.db import connection

from genfans.providers.fal_webhook import jwks_cache
from tests.factories import make_member, make_user


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests are deselected (not skipped) on SQLite: the PostgreSQL pass,
    which CI requires, runs them; tests of the SQLite setup itself are deselected on it."""
    from django.conf import settings

    other = (
        "sqlite" if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else "postgres"
    )
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker(other) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def _plans_after_flush(request):
    """Transactional tests flush every table when they end, the free plan and the pricing
    rules the migrations made included, so each one starts by putting them back."""
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    if (
        "transactional_db" in names
        or "live_server" in names
        or (marker is not None and marker.kwargs.get("transaction"))
    ):
        from genfans.billing.seed import seed_plans
        from genfans.credits.seed import seed_pricing_rules

        request.getfixturevalue("transactional_db")
        seed_plans()
        seed_pricing_rules()


@pytest.fixture(autouse=True)
def _pricing_rules(request):
    """The calculator refuses to price an operation without its rule (`genfans seed` creates
    them), so every test with a database gets the default rules."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or "live_server" in (
        request.fixturenames
    )
    if transactional or (marker is not None and marker.kwargs.get("transaction")):
        return  # _plans_after_flush seeds them
    if "db" in request.fixturenames or marker is not None:
        from genfans.credits.seed import seed_pricing_rules

        request.getfixturevalue("db")
        seed_pricing_rules()


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import caches

    yield
    for cache in caches.all():
        cache.clear()
    jwks_cache.clear()


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


@pytest.fixture
def staff_client(client):
    """A superuser in /admin/, in no team."""
    superuser = make_user(email="root@example.com")
    superuser.is_staff = superuser.is_superuser = True
    superuser.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(superuser)
    return client


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def immediate_tasks(settings):
    """Run `django.tasks` tasks inline (emails land in `mail.outbox` once the transaction
    commits)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def member(team):
    return make_member(team=team, email="member@example.com", name="Mia")


@pytest.fixture
def member_client(client_factory, member):
    return client_factory(member)


@pytest.fixture
def other_owner(db):
    return make_user(email="other@example.com")


@pytest.fixture
def other_team(other_owner):
    return other_owner.memberships.get().team


@pytest.fixture
def client_factory(db):
    from django.test import Client

    def make(user):
        c = Client()
        c.force_login(user)
        return c

    return make
