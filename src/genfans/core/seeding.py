"""The seeders `genfans seed` runs, in order. Each is idempotent and returns a row count."""

from genfans.billing.seed import seed_packs, seed_plans
from genfans.catalog.seed import seed_reference_models
from genfans.credits.seed import seed_pricing_rules

SEEDERS = [
    ("plans", seed_plans),
    ("credit packs", seed_packs),
    ("pricing rules", seed_pricing_rules),
    ("reference models", seed_reference_models),
]
