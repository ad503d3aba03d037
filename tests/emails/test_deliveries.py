from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from genfans.emails.kinds import _renderers, email_kinds_unrendered
from genfans.emails.models import EmailDelivery, EmailKind, EmailStatus
from genfans.emails.services import MAX_ATTEMPTS, email_delivery_send
from genfans.emails.tasks import email_delivery_send_task
from genfans.teams.models import InvitationStatus
from genfans.teams.services import team_invitation_revoke, team_member_invite

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_down(monkeypatch):
    def refuse(self, messages):
        raise SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)


def invite(team, owner, captured, email="new@example.com"):
    with captured(execute=True):
        return team_member_invite(team=team, user=owner, email=email)


def invitation_delivery():
    return EmailDelivery.objects.get(kind=EmailKind.INVITATION)


def test_every_kind_has_a_renderer():
    assert email_kinds_unrendered() == []


def test_an_app_naming_a_kind_that_does_not_exist_is_refused(monkeypatch):
    teams = apps.get_app_config("teams")
    monkeypatch.setattr(teams, "email_renderers", {"invitaton": "genfans.teams.emails.x"})
    _renderers.cache_clear()
    try:
        with pytest.raises(ValueError, match="invitaton"):
            email_kinds_unrendered()
    finally:
        monkeypatch.undo()
        _renderers.cache_clear()


def test_an_invitation_makes_one_delivery_that_the_worker_sends_once(
    team, owner, immediate_tasks, django_capture_on_commit_callbacks
):
    invitation = invite(team, owner, django_capture_on_commit_callbacks)
    delivery = invitation_delivery()
    assert (delivery.kind, delivery.recipient) == (EmailKind.INVITATION, "new@example.com")
    assert (delivery.invitation_id, delivery.team_id) == (invitation.pk, team.pk)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (EmailStatus.SENT, 1, "")
    assert delivery.sent_at is not None
    assert delivery.subject == mail.outbox[0].subject
    assert len(mail.outbox) == 1

    email_delivery_send_task.call(str(delivery.pk))

    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (EmailStatus.SENT, 1)


def test_the_row_waits_for_the_commit_and_the_task_carries_only_its_id(
    team, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        team_member_invite(team=team, user=owner, email="x@example.com")
    assert len(callbacks) == 1
    assert DBTaskResult.objects.count() == 0
    callbacks[0]()
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [str(invitation_delivery().pk)]
    assert mail.outbox == []


def test_a_mail_server_failure_is_recorded_and_retried_with_backoff(
    team, owner, smtp_down, django_capture_on_commit_callbacks
):
    invite(team, owner, django_capture_on_commit_callbacks)
    delivery = invitation_delivery()
    DBTaskResult.objects.all().delete()

    before = timezone.now()
    email_delivery_send_task.call(str(delivery.pk))

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (EmailStatus.PENDING, 1)
    assert delivery.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert delivery.claimed_until is None and delivery.sent_at is None
    retry = DBTaskResult.objects.get()
    assert retry.args_kwargs["args"] == [str(delivery.pk)]
    assert before + timedelta(seconds=59) < retry.run_after < before + timedelta(minutes=2)
    assert mail.outbox == []


def test_after_the_last_attempt_it_is_failed_and_no_longer_retried(team, owner, smtp_down):
    team_member_invite(team=team, user=owner, email="new@example.com")
    delivery = invitation_delivery()
    statuses = [email_delivery_send(delivery_id=delivery.pk) for _ in range(MAX_ATTEMPTS + 1)]

    assert [outcome.status for outcome in statuses] == [EmailStatus.PENDING] * (
        MAX_ATTEMPTS - 1
    ) + [EmailStatus.FAILED, None]
    assert statuses[-2].retry_at is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (EmailStatus.FAILED, MAX_ATTEMPTS)
    assert delivery.last_error.startswith("SMTPServerDisconnected")


def test_backoff_doubles_up_to_an_hour(team, owner, smtp_down):
    team_member_invite(team=team, user=owner, email="new@example.com")
    delivery = invitation_delivery()
    gaps = []
    for _ in range(MAX_ATTEMPTS - 1):
        now = timezone.now()
        retry_at = email_delivery_send(delivery_id=delivery.pk).retry_at
        gaps.append(round((retry_at - now) / timedelta(minutes=1)))
    assert gaps == [1, 2, 4, 8]


def test_a_claim_held_by_another_worker_is_left_alone_until_it_lapses(team, owner):
    team_member_invite(team=team, user=owner, email="new@example.com")
    delivery = invitation_delivery()
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        status=EmailStatus.SENDING, attempts=1, claimed_until=timezone.now() + timedelta(minutes=1)
    )
    assert email_delivery_send(delivery_id=delivery.pk).status is None
    assert mail.outbox == []

    EmailDelivery.objects.filter(pk=delivery.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert email_delivery_send(delivery_id=delivery.pk).status == EmailStatus.SENT
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2


def test_an_invitation_revoked_before_sending_is_not_sent(team, owner):
    invitation = team_member_invite(team=team, user=owner, email="new@example.com")
    team_invitation_revoke(team=team, user=owner, invitation_id=invitation.pk)
    delivery = invitation_delivery()

    assert email_delivery_send(delivery_id=delivery.pk).status == EmailStatus.CANCELED

    delivery.refresh_from_db()
    assert (delivery.status, delivery.sent_at) == (EmailStatus.CANCELED, None)
    assert invitation.__class__.objects.get().status == InvitationStatus.REVOKED
    assert mail.outbox == []


def test_deliveries_outlive_the_pruning_of_task_results(
    team, owner, django_capture_on_commit_callbacks
):
    invite(team, owner, django_capture_on_commit_callbacks)
    email_delivery_send_task.call(str(invitation_delivery().pk))
    DBTaskResult.objects.update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now() - timedelta(days=2)
    )

    prune = dict((name, path) for name, _, path in settings.PERIODIC_TASKS)["tasks-prune"]
    import_string(prune).call()

    assert DBTaskResult.objects.count() == 0
    delivery = invitation_delivery()
    assert (delivery.status, delivery.attempts) == (EmailStatus.SENT, 1)
