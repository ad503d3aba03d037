"""The sweep enqueues again the deliveries whose task was lost, a bounded batch at a time,
without ever letting one be sent twice."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from genfans.emails.models import EmailDelivery, EmailKind, EmailStatus
from genfans.emails.services import (
    MAX_ATTEMPTS,
    _settle,
    email_delivery_create,
    email_delivery_send,
)
from genfans.emails.sweep import SWEEP_GRACE, email_deliveries_sweep
from genfans.emails.tasks import email_delivery_send_task
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def lost(recipient="new@example.com", *, late=SWEEP_GRACE + timedelta(seconds=1), **fields):
    """A password reset whose task never made it to the queue, due `late` ago."""
    user = make_user(email=recipient)
    EmailDelivery.objects.filter(user=user).delete()  # sign-up's verification email
    delivery = email_delivery_create(kind=EmailKind.PASSWORD_RESET, recipient=recipient, user=user)
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - late, **fields
    )
    delivery.refresh_from_db()
    return delivery


@pytest.fixture(autouse=True)
def _only_our_deliveries(db):
    # Sign-up's verification emails (made by the user factory) are not what these tests sweep.
    EmailDelivery.objects.all().delete()
    DBTaskResult.objects.all().delete()


def queued_ids():
    return sorted(task.args_kwargs["args"][0] for task in DBTaskResult.objects.all())


def sweep(captured):
    with captured(execute=True):
        return email_deliveries_sweep()


def test_a_delivery_that_lost_its_task_is_enqueued_again_and_sent_once(
    django_capture_on_commit_callbacks,
):
    delivery = lost()

    result = sweep(django_capture_on_commit_callbacks)

    assert result.as_dict() == {"requeued": 1, "abandoned": 0}
    assert queued_ids() == [str(delivery.pk)]
    delivery.refresh_from_db()
    assert delivery.status == EmailStatus.PENDING
    assert abs(delivery.next_attempt_at - timezone.now()) < timedelta(seconds=5)

    email_delivery_send_task.call(str(delivery.pk))
    email_delivery_send_task.call(str(delivery.pk))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (EmailStatus.SENT, 1)
    assert len(mail.outbox) == 1


def test_a_requeued_delivery_is_left_alone_for_another_grace_period(
    django_capture_on_commit_callbacks,
):
    lost()
    sweep(django_capture_on_commit_callbacks)

    assert sweep(django_capture_on_commit_callbacks).requeued == []
    assert DBTaskResult.objects.count() == 1

    later = timezone.now() + SWEEP_GRACE + timedelta(seconds=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert len(email_deliveries_sweep(now=later).requeued) == 1
    assert DBTaskResult.objects.count() == 2


def test_deliveries_within_their_grace_or_waiting_for_a_retry_are_not_touched(
    django_capture_on_commit_callbacks,
):
    lost("fresh@example.com", late=SWEEP_GRACE - timedelta(seconds=30))
    lost("retry@example.com", late=-timedelta(minutes=4), attempts=2, last_error="SMTP down")

    assert sweep(django_capture_on_commit_callbacks).as_dict() == {"requeued": 0, "abandoned": 0}
    assert DBTaskResult.objects.count() == 0


def test_finished_deliveries_are_never_swept(django_capture_on_commit_callbacks):
    for status in (EmailStatus.SENT, EmailStatus.FAILED, EmailStatus.CANCELED):
        lost(f"{status}@example.com", status=status, attempts=1)
    before = list(EmailDelivery.objects.order_by("pk").values())

    assert sweep(django_capture_on_commit_callbacks).as_dict() == {"requeued": 0, "abandoned": 0}
    assert list(EmailDelivery.objects.order_by("pk").values()) == before
    assert DBTaskResult.objects.count() == 0


def test_a_lapsed_claim_goes_back_to_pending_and_is_sent_by_the_new_task(
    django_capture_on_commit_callbacks,
):
    now = timezone.now()
    dead = lost("dead@example.com", status=EmailStatus.SENDING, attempts=1)
    EmailDelivery.objects.filter(pk=dead.pk).update(
        next_attempt_at=None, claimed_until=now - timedelta(seconds=1)
    )
    alive = lost("alive@example.com", status=EmailStatus.SENDING, attempts=1)
    EmailDelivery.objects.filter(pk=alive.pk).update(
        next_attempt_at=None, claimed_until=now + timedelta(minutes=4)
    )

    assert sweep(django_capture_on_commit_callbacks).as_dict() == {"requeued": 1, "abandoned": 0}

    dead.refresh_from_db()
    assert (dead.status, dead.attempts, dead.claimed_until) == (EmailStatus.PENDING, 1, None)
    assert dead.last_error == "The worker stopped during attempt 1."
    assert queued_ids() == [str(dead.pk)]
    alive.refresh_from_db()
    assert (alive.status, alive.attempts) == (EmailStatus.SENDING, 1)

    email_delivery_send_task.call(str(dead.pk))
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == (EmailStatus.SENT, 2)
    assert [m.to for m in mail.outbox] == [["dead@example.com"]]


def test_a_claim_that_lapsed_on_the_last_attempt_fails_for_good(
    django_capture_on_commit_callbacks,
):
    delivery = lost(status=EmailStatus.SENDING, attempts=MAX_ATTEMPTS)
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=None, claimed_until=timezone.now() - timedelta(seconds=1)
    )

    assert sweep(django_capture_on_commit_callbacks).as_dict() == {"requeued": 0, "abandoned": 1}

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (EmailStatus.FAILED, MAX_ATTEMPTS)
    assert delivery.last_error == f"The worker stopped during attempt {MAX_ATTEMPTS}; not retried."
    assert DBTaskResult.objects.count() == 0
    assert mail.outbox == []


def test_one_sweep_takes_a_bounded_batch_oldest_first(django_capture_on_commit_callbacks):
    oldest = lost("a@example.com", late=timedelta(hours=3))
    older = lost("b@example.com", late=timedelta(hours=2))
    newest = lost("c@example.com", late=timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        first = email_deliveries_sweep(limit=2)
    assert first.requeued == [str(oldest.pk), str(older.pk)]

    assert sweep(django_capture_on_commit_callbacks).requeued == [str(newest.pk)]
    assert DBTaskResult.objects.count() == 3


def test_a_stale_worker_does_not_overwrite_the_attempt_that_replaced_it():
    delivery = lost(late=timedelta(0))
    assert email_delivery_send(delivery_id=delivery.pk).status == EmailStatus.SENT
    # As if the first claim had lapsed and a second attempt were now in flight.
    EmailDelivery.objects.filter(pk=delivery.pk).update(status=EmailStatus.SENDING, attempts=2)
    delivery.attempts = 1
    _settle(delivery, status=EmailStatus.FAILED, last_error="late news")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        EmailStatus.SENDING,
        2,
        "",
    )


def test_the_scheduler_runs_the_sweep_every_minute(django_capture_on_commit_callbacks):
    periodic = {name: (every, path) for name, every, path in settings.PERIODIC_TASKS}
    every, path = periodic["emails-sweep"]
    assert every == 60
    delivery = lost()

    with django_capture_on_commit_callbacks(execute=True):
        assert import_string(path).call() == {"requeued": 1, "abandoned": 0}
    assert queued_ids() == [str(delivery.pk)]


def _in_threads(count, target):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_send_a_delivery_once():
    delivery = lost(late=timedelta(0))

    outcomes = _in_threads(6, lambda: email_delivery_send(delivery_id=delivery.pk).status)

    assert sorted(outcomes, key=str) == sorted([EmailStatus.SENT] + [None] * 5, key=str)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (EmailStatus.SENT, 1)
    assert len(mail.outbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_enqueue_a_lost_delivery_once():
    deliveries = [lost(f"u{i}@example.com") for i in range(5)]
    DBTaskResult.objects.all().delete()  # sign-up's, enqueued on its commit here

    results = _in_threads(4, lambda: email_deliveries_sweep().requeued)

    assert sorted(pk for requeued in results for pk in requeued) == sorted(
        str(d.pk) for d in deliveries
    )
    assert queued_ids() == sorted(str(d.pk) for d in deliveries)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sweep_racing_workers_on_a_lapsed_claim_still_sends_once():
    delivery = lost(status=EmailStatus.SENDING, attempts=1)
    DBTaskResult.objects.all().delete()
    EmailDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=None, claimed_until=timezone.now() - timedelta(seconds=1)
    )

    def sweep_then_send():
        email_deliveries_sweep()
        return email_delivery_send(delivery_id=delivery.pk).status

    def send():
        return email_delivery_send(delivery_id=delivery.pk).status

    targets = iter([sweep_then_send, send, send, sweep_then_send])
    _in_threads(4, lambda: next(targets)())
    for task in DBTaskResult.objects.all():
        email_delivery_send_task.call(*task.args_kwargs["args"])

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (EmailStatus.SENT, 2)
    assert len(mail.outbox) == 1
