from django.core.management.base import BaseCommand, CommandError

from genfans.credits.audit import ledger_audit, ledger_summary


class Command(BaseCommand):
    help = "Credit ledger tools. `credits audit`: check every balance against its ledger."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser(
            "audit",
            help="for every team, available and reserved equal the sums of its ledger rows "
            "and no finished job holds a reservation; exits 1 on any discrepancy",
        )

    def handle(self, *args, subcommand: str, **options):
        if subcommand == "audit":
            self._audit()

    def _audit(self) -> None:
        problems = ledger_audit()
        summary = ledger_summary()
        self.stdout.write(
            "credits audit: {teams} balances, {transactions} ledger rows, "
            "{pending_reservations} pending reservations, {available} available, "
            "{reserved} reserved".format(**summary)
        )
        for problem in problems:
            self.stderr.write(f"DISCREPANCY {problem}")
        if problems:
            raise CommandError(f"{len(problems)} discrepancies found", returncode=1)
        self.stdout.write(self.style.SUCCESS("ledger OK: every balance matches its ledger"))
