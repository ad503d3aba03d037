from genfans.billing.models import Plan
from genfans.teams.models import SubscriptionStatus

FREE_PLAN_CODE = "free"
# A team whose payment lapsed keeps its data and running jobs but gets free-plan limits
# for new work until the subscription is healthy again.
PLAN_HONOURING_STATUSES = {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING}


def plan_effective_for_team(*, team) -> Plan:
    """The plan whose limits apply to a team's new jobs."""
    if team.plan.code == FREE_PLAN_CODE or team.subscription_status in PLAN_HONOURING_STATUSES:
        return team.plan
    return Plan.objects.get(code=FREE_PLAN_CODE)
