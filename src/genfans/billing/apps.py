from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "genfans.billing"
    label = "billing"
    # What `genfans seed` loads from this app, in order (see genfans.core.seeding).
    seeders = [
        ("plans", "genfans.billing.seed.seed_plans"),
        ("credit packs", "genfans.billing.seed.seed_packs"),
    ]
