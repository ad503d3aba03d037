from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Background worker: runs queued tasks (jobs, emails, periodic work)."

    def handle(self, *args, **options):
        call_command("db_worker", interval=0.5)
