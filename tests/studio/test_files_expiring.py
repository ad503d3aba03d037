from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from genfans.emails.models import EmailDelivery, EmailKind
from genfans.studio.expiring import files_expiring_announce
from genfans.studio.models import FilesExpiringCursor
from genfans.studio.tasks import files_expiring_announce_task
from genfans.teams.models import TeamMember
from tests.factories import make_member, make_user
from tests.storage.test_retention import make_asset

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


def deliveries():
    return EmailDelivery.objects.filter(kind=EmailKind.FILES_EXPIRING)


def announce(captured, *, now=None):
    with captured(execute=True):
        return files_expiring_announce(now=now)


def test_owners_get_one_email_a_week_before_members_do_not(
    team, owner, member, immediate_tasks, django_capture_on_commit_callbacks, settings
):
    settings.BASE_URL = "https://studio.example.com"
    co_owner = make_member(team=team, email="co@example.com", role="owner")
    for days in (3, 6.5):
        make_asset(team, expires_in_days=days)
    make_asset(team, expires_in_days=8)  # not within the week
    make_asset(team, expires_in_days=2, kind="upload")  # not a gallery file
    make_asset(team, exempt=True)

    assert announce(django_capture_on_commit_callbacks) == 2

    assert sorted(d.recipient for d in deliveries()) == ["co@example.com", "owner@example.com"]
    assert sorted(m.to[0] for m in mail.outbox) == ["co@example.com", "owner@example.com"]
    message = mail.outbox[0]
    assert message.subject == f"2 GenFans files of {team.name} expire soon"
    assert "https://studio.example.com/dashboard/gallery\n" in message.body
    assert "90 days" in message.body
    assert member.email not in [m.to[0] for m in mail.outbox]
    assert co_owner.email in [m.to[0] for m in mail.outbox]


def test_a_rerun_sends_nothing_and_a_later_batch_gets_its_own_email(
    team, owner, immediate_tasks, django_capture_on_commit_callbacks
):
    now = timezone.now()
    make_asset(team, expires_in_days=5)
    make_asset(team, expires_in_days=10)
    assert announce(django_capture_on_commit_callbacks, now=now) == 1
    assert announce(django_capture_on_commit_callbacks, now=now) == 0
    assert announce(django_capture_on_commit_callbacks, now=now + DAY) == 0  # nothing new yet
    assert len(mail.outbox) == 1
    assert "1 GenFans file of" in mail.outbox[0].subject

    assert announce(django_capture_on_commit_callbacks, now=now + 4 * DAY) == 1
    assert announce(django_capture_on_commit_callbacks, now=now + 4 * DAY) == 0
    assert deliveries().count() == 2
    assert len(mail.outbox) == 2
    assert "1 GenFans file of" in mail.outbox[1].subject
    cursor = FilesExpiringCursor.objects.get(team=team)
    assert cursor.announced_until == now + 11 * DAY


def test_deleted_and_inactive_owners_get_nothing(team, owner, django_capture_on_commit_callbacks):
    gone = make_member(team=team, email="gone@example.com", role="owner")
    gone.deleted_at = timezone.now()
    gone.save(update_fields=["deleted_at"])
    idle = make_member(team=team, email="idle@example.com", role="owner")
    idle.is_active = False
    idle.save(update_fields=["is_active"])
    make_asset(team, expires_in_days=2)

    assert announce(django_capture_on_commit_callbacks) == 1
    assert list(deliveries().values_list("recipient", flat=True)) == ["owner@example.com"]


def test_an_owner_who_left_before_it_was_sent_gets_nothing(
    team, owner, immediate_tasks, django_capture_on_commit_callbacks
):
    second = make_member(team=team, email="second@example.com", role="owner")
    make_asset(team, expires_in_days=2)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert files_expiring_announce() == 2
    TeamMember.objects.filter(user=second).delete()
    for callback in callbacks:
        callback()
    assert [m.to[0] for m in mail.outbox] == ["owner@example.com"]


def test_files_deleted_before_it_was_sent_cancel_the_email(
    team, owner, immediate_tasks, django_capture_on_commit_callbacks
):
    asset = make_asset(team, expires_in_days=2)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert files_expiring_announce() == 1
    asset.deleted_at = timezone.now()
    asset.save(update_fields=["deleted_at"])
    for callback in callbacks:
        callback()
    assert mail.outbox == []


def test_teams_are_announced_apart(team, owner, django_capture_on_commit_callbacks):
    other = make_user(email="else@example.com").memberships.get().team
    make_asset(team, expires_in_days=2)
    make_asset(other, expires_in_days=3)
    assert announce(django_capture_on_commit_callbacks) == 2
    assert {(d.team_id, d.recipient) for d in deliveries()} == {
        (team.id, "owner@example.com"),
        (other.id, "else@example.com"),
    }


def test_periodic_task_is_scheduled_daily(settings, team, owner):
    make_asset(team, expires_in_days=2)
    assert (
        "files-expiring",
        24 * 60 * 60,
        "genfans.studio.tasks.files_expiring_announce_task",
    ) in settings.PERIODIC_TASKS
    assert files_expiring_announce_task.call() == 1
