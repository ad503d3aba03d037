from django.conf import settings

from genfans.billing.models import Plan

PLANS = [
    {
        "code": "free",
        "name": "Free",
        "monthly_credits": 50,
        "max_concurrent_jobs": 1,
        "queue_priority": 0,
        "max_queued_jobs": 5,
        "price_cents": 0,
        "trial_days": 0,
        "features": ["50 credits once", "1 job at a time", "Sandbox and catalog"],
    },
    {
        "code": "starter",
        "name": "Starter",
        "monthly_credits": 500,
        "max_concurrent_jobs": 2,
        "queue_priority": 1,
        "max_queued_jobs": 20,
        "price_cents": 2900,
        "trial_days": 14,
        "features": ["Reference catalog and custom models", "Image generation", "Email support"],
    },
    {
        "code": "pro",
        "name": "Pro",
        "monthly_credits": 1500,
        "max_concurrent_jobs": 5,
        "queue_priority": 2,
        "max_queued_jobs": 50,
        "price_cents": 7900,
        "trial_days": 14,
        "features": ["Everything in Starter", "Video and face swap", "Faster queue"],
    },
    {
        "code": "studio",
        "name": "Studio",
        "monthly_credits": 5000,
        "max_concurrent_jobs": 10,
        "queue_priority": 3,
        "max_queued_jobs": 200,
        "price_cents": 19900,
        "trial_days": 14,
        "features": ["Everything in Pro", "Highest queue priority", "Built for agencies"],
    },
]


def seed_plans() -> int:
    for order, plan in enumerate(PLANS):
        Plan.objects.update_or_create(
            code=plan["code"],
            defaults={
                **plan,
                "sort_order": order,
                "stripe_price_id": settings.STRIPE_PRICES.get(plan["code"], ""),
            },
        )
    return len(PLANS)
