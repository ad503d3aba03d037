"""The worker's side of email deliveries. The task takes an id and is safe to run twice."""

from django.tasks import task

from genfans.emails.services import email_delivery_send


@task()
def email_delivery_send_task(delivery_id: str) -> str | None:
    outcome = email_delivery_send(delivery_id=delivery_id)
    # The immediate backend (GENFANS_TASKS=immediate, no worker) cannot run anything later: the
    # row keeps its error and stays pending there.
    if outcome.retry_at is not None and email_delivery_send_task.get_backend().supports_defer:
        email_delivery_send_task.using(run_after=outcome.retry_at).enqueue(delivery_id)
    return outcome.status
