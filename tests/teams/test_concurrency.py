"""Two owners demoting each other at the same moment must not leave the team ownerless."""

import threading

import pytest
from django.db import connection

from genfans.teams.errors import LastOwner, NotTeamOwner
from genfans.teams.models import Role, TeamMember
from genfans.teams.services import team_member_role_change
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
