import os
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand

# gunicorn's default line without the query string (`%(r)s`) or the referrer (`%(f)s`): both can
# carry signed media URLs and webhook tokens, which must not outlive the request in a log.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'


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
            "--access-logformat",
            ACCESS_LOG_FORMAT,
        ]
        run(prog="genfans serve")
