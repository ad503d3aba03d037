"""`genfans`: the one entry point. Every subcommand is a Django management command."""

import logging
import os
import sys

COMMANDS = {
    "run": "dev: migrate, seed if empty, serve on 127.0.0.1:8000 with an in-process worker",
    "serve": "production server (gunicorn, several workers)",
    "worker": "background worker (jobs, emails, periodic work)",
    "migrate": "apply database migrations",
    "makemigrations": "create migrations after model changes",
    "seed": "load plans, pricing rules and the reference catalog (idempotent)",
    "setup": "interactive: database, Stripe keys, products and prices, webhook; writes .env",
    "credits": "credits audit: check every balance against its ledger (exit 1 on a discrepancy)",
    "cleanup": "retention: cleanup (delete expired files) | mark-expired (database only) | stats",
    "createsuperuser": "create a staff account for /admin/",
    "shell": "Python shell with the app loaded",
}

USAGE = "usage: genfans <command> [options]   (genfans <command> --help for its options)\n\n"
# The commands that take work first log where each operation goes, so a deployment whose
# keys send an operation nowhere says so before traffic arrives.
ROUTED_COMMANDS = {"run", "serve", "worker"}


def _routing_log() -> None:
    # Imported here, not at the top: `genfans` must set the settings module and load the app
    # registry before any app module is imported.
    import django

    django.setup()
    from genfans.credits.models import Operation
    from genfans.providers.registry import routing_table

    table = routing_table(Operation.values)
    logging.getLogger("genfans.providers").info(
        "provider routing: %s", ", ".join(f"{op} → {name}" for op, name in table.items())
    )


def _run_base_url(args: list[str]) -> None:
    """`genfans run --host H --port P` without BASE_URL (environment or `.env`) serves, and
    has the worker it starts build links, at http://H:P rather than the default :8000."""
    from genfans.config.env import env_str  # loads `.env`; no settings are read yet
    from genfans.core.management.commands.run import serving_address

    if not env_str("BASE_URL"):
        os.environ["BASE_URL"] = serving_address(args)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "genfans.config.settings")
    if not argv or argv[0] in {"-h", "--help", "help"}:
        width = max(len(name) for name in COMMANDS)
        lines = [f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()]
        sys.stdout.write(
            USAGE + "commands:\n" + "\n".join(lines) + "\n\n"
            "Any other Django management command works too (genfans help --all).\n"
        )
        return
    if argv[0] == "help" and argv[1:] == ["--all"]:
        argv = ["help"]
    if argv[0] == "run":
        _run_base_url(argv[1:])
    if argv[0] in ROUTED_COMMANDS and not {"-h", "--help"} & set(argv):
        _routing_log()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["genfans", *argv])


if __name__ == "__main__":
    main()
