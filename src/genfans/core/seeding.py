"""The seeders `genfans seed` runs, in order. Each is idempotent and returns a row count."""

from genfans.billing.seed import seed_plans

SEEDERS = [
    ("plans", seed_plans),
]
