from django.conf import settings

from genfans.billing.models import CreditPack, Plan
from genfans.credits.models import Operation

IMAGE, CREATION, REFINEMENT = (
    Operation.IMAGE_GENERATION,
    Operation.MODEL_CREATION,
    Operation.MODEL_REFINEMENT,
)
VIDEO, FACE_SWAP = Operation.VIDEO_GENERATION, Operation.FACE_SWAP

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
        "operations": [IMAGE, CREATION, REFINEMENT],
        "max_image_side": 1024,
        "max_video_seconds": 0,
        "tagline": "Try the studio: 50 credits once, for a verified email",
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
        "operations": [IMAGE, CREATION, REFINEMENT],
        "max_image_side": 1536,
        "max_video_seconds": 0,
        "tagline": "Custom models and image generation",
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
        "operations": [IMAGE, CREATION, REFINEMENT, VIDEO, FACE_SWAP],
        "max_image_side": 2048,
        "max_video_seconds": 10,
        "tagline": "Everything in Starter, plus video and face swap",
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
        "operations": [IMAGE, CREATION, REFINEMENT, VIDEO, FACE_SWAP],
        "max_image_side": 2048,
        "max_video_seconds": 10,
        "tagline": "Everything in Pro, with the highest queue priority: built for agencies",
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


PACKS = [
    {"code": "small", "name": "500 credits", "credits": 500, "price_cents": 1500},
    {"code": "medium", "name": "2,000 credits", "credits": 2000, "price_cents": 4900},
    {"code": "large", "name": "10,000 credits", "credits": 10000, "price_cents": 19900},
]


def seed_packs() -> int:
    for order, pack in enumerate(PACKS):
        CreditPack.objects.update_or_create(
            code=pack["code"],
            defaults={
                **pack,
                "sort_order": order,
                "stripe_price_id": settings.STRIPE_PACK_PRICES.get(pack["code"], ""),
            },
        )
    return len(PACKS)
