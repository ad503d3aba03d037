"""What `genfans seed` runs: each app lists its seeders on its AppConfig (`seeders`, pairs of a
name and the dotted path of an idempotent function returning a row count), run in
INSTALLED_APPS order, so core names no app. An app may also say whether the database already
holds its seed (`seeded`, a dotted path to a function returning a bool)."""

from collections.abc import Callable

from django.apps import apps
from django.utils.module_loading import import_string


def seeders() -> list[tuple[str, Callable[[], int]]]:
    return [
        (name, import_string(path))
        for config in apps.get_app_configs()
        for name, path in getattr(config, "seeders", ())
    ]


def database_seeded() -> bool:
    checks = [getattr(config, "seeded", None) for config in apps.get_app_configs()]
    return any(import_string(check)() for check in checks if check)
