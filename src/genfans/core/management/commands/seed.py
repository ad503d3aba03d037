from django.core.management.base import BaseCommand
from django.db import transaction

from genfans.core.seeding import database_seeded, seeders


class Command(BaseCommand):
    help = "Load plans, pricing rules and the reference catalog. Idempotent: re-running updates."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="only seed an empty database")

    def handle(self, *args, if_empty=False, **options):
        # The free plan comes with the migrations, so "empty" means no catalog yet.
        if if_empty and database_seeded():
            return
        for name, seeder in seeders():
            with transaction.atomic():
                count = seeder()
            self.stdout.write(f"seeded {name}: {count}")
