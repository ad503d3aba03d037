"""Membership races: two owners demoting each other must not leave the team ownerless, and
an owner being removed cannot create a key the removal misses."""

import threading
import time

import pytest
from django.db import connection, transaction

from genfans.accounts.memberships import api_keys_revoke_for_member
from genfans.accounts.models import ApiKey
from genfans.accounts.services import api_key_create
from genfans.teams.errors import LastOwner, NotTeamOwner
from genfans.teams.models import Role, TeamMember
from genfans.teams.services import team_lock, team_member_role_change
from tests.factories import make_member, make_user


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_mutual_demotion_keeps_one_owner():
    ada = make_user(email="ada@example.com")
    team = ada.memberships.get().team
    bob = make_member(team=team, email="bob@example.com", role=Role.OWNER)
    barrier = threading.Barrier(2)
    outcomes = []

    def demote(actor, target):
        try:
            barrier.wait()
            team_member_role_change(
                team=team, user=actor, member_user_id=target.id, role=Role.MEMBER
            )
            outcomes.append("ok")
        except LastOwner:
            outcomes.append("last_owner")
        except NotTeamOwner:
            outcomes.append("not_owner")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=(ada, bob)),
        threading.Thread(target=demote, args=(bob, ada)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    owners = TeamMember.objects.filter(team=team, role=Role.OWNER).count()
    assert owners == 1
    # The loser either saw the last owner (409) or had just lost the right to act (403).
    assert outcomes.count("ok") == 1
    assert len(outcomes) == 2


def _backend_waits_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_owner_being_removed_cannot_create_a_key_the_removal_misses():
    """The removal (its revocation of the owner's keys, then the membership's end) holds the
    team's lock; a key created meanwhile waits for it, then finds its creator is no owner."""
    ada = make_user(email="ada@example.com")
    team = ada.memberships.get().team
    bob = make_member(team=team, email="bob@example.com", role=Role.OWNER)
    creator_pid = []
    outcome = []
    removal_holds_lock = threading.Event()

    def create_key():
        removal_holds_lock.wait(timeout=10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '10s'")
            cursor.execute("SELECT pg_backend_pid()")
            creator_pid.append(cursor.fetchone()[0])
        try:
            api_key_create(team=team, user=bob, name="late key")
            outcome.append("created")
        except NotTeamOwner:
            outcome.append("not_owner")
        finally:
            connection.close()

    creator = threading.Thread(target=create_key)
    creator.start()
    with transaction.atomic():
        team_lock(team)
        api_keys_revoke_for_member(team=team, user=bob, reason="member_removed", actor=ada)
        TeamMember.objects.filter(team=team, user=bob).delete()
        removal_holds_lock.set()
        deadline = time.monotonic() + 10
        while not (creator_pid and _backend_waits_on_a_lock(creator_pid[0])):
            assert time.monotonic() < deadline, "the key's creation did not wait for the team"
            time.sleep(0.01)
    creator.join(timeout=15)

    assert outcome == ["not_owner"]
    assert not ApiKey.objects.filter(team=team, revoked_at__isnull=True).exists()
