from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "genfans.credits"
    label = "credits"
    # What `genfans seed` loads from this app (see genfans.core.seeding).
    seeders = [("pricing rules", "genfans.credits.seed.seed_pricing_rules")]
