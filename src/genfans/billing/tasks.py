"""Background billing work. Tasks carry ids and call one idempotent service."""

from django.tasks import task

from genfans.teams.models import Team


@task
def stripe_events_reprocess_parked(team_id: str) -> int:
    """Events that arrived before their team was linked to its Stripe customer."""
    from genfans.billing.webhooks import stripe_events_reprocess_parked as reprocess

    team = Team.objects.filter(pk=team_id).first()
    return reprocess(team=team) if team else 0
