import pytest

from tests.factories import make_member, make_user


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
