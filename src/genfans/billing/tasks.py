"""Background billing work. Tasks carry ids and call one idempotent service."""

from django.tasks import task

from genfans.billing import webhooks
from genfans.core.transactions import enqueue_on_commit
from genfans.teams.models import Team


@task
def stripe_events_reprocess_parked(team_id: str) -> int:
    """Events that arrived before their team was linked to its Stripe customer."""
    team = Team.objects.filter(pk=team_id).first()
    return webhooks.stripe_events_reprocess_parked(team=team) if team else 0


def stripe_events_reprocess_parked_on_commit(*, team_id) -> None:
    enqueue_on_commit(stripe_events_reprocess_parked, str(team_id))
