import os
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Production server: gunicorn with threaded workers on the WSGI app."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="0.0.0.0")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2)
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args, host, port, workers, threads, **options):
        from gunicorn.app.wsgiapp import run

        call_command("collectstatic", interactive=False, verbosity=0)
        # gunicorn reads its options from argv; hand it ours and let it own the process.
        sys.argv = [
            "gunicorn",
            "genfans.config.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--access-logfile",
            "-",
        ]
        run(prog="genfans serve")
