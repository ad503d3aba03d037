from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "genfans.catalog"
    label = "catalog"
    # What `genfans seed` loads from this app (see genfans.core.seeding); a database with a
    # catalog counts as seeded for `genfans seed --if-empty`.
    seeders = [("reference models", "genfans.catalog.seed.seed_reference_models")]
    seeded = "genfans.catalog.seed.catalog_seeded"
