import json

from django.core.management.base import BaseCommand

from genfans.storage.retention import (
    retention_cleanup,
    retention_mark_expired,
    retention_orphans_delete,
    retention_stats,
)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


class Command(BaseCommand):
    help = (
        "Retention of stored files. cleanup: delete expired files and mark their rows "
        "deleted; mark-expired: make expired jobs' assets due (database only); stats: "
        "counts and bytes by kind and by team."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        cleanup = actions.add_parser("cleanup", help="delete expired files (batched, idempotent)")
        cleanup.add_argument("--batch-size", type=int, default=500)
        cleanup.add_argument(
            "--orphans",
            action="store_true",
            help="also delete files no asset points to (older than a day)",
        )
        actions.add_parser("mark-expired", help="mark expired jobs' assets due; no file touched")
        stats = actions.add_parser("stats", help="counts and bytes by kind and by team")
        stats.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, action, **options):
        if action == "cleanup":
            result = retention_cleanup(batch_size=options["batch_size"])
            self.stdout.write(
                f"deleted {result.deleted} files ({_size(result.bytes_freed)}), "
                f"{result.failed} failed"
            )
            for key in result.failed_keys:
                self.stderr.write(f"could not delete {key}")
            if options["orphans"]:
                self.stdout.write(f"deleted {retention_orphans_delete()} orphan files")
        elif action == "mark-expired":
            result = retention_mark_expired()
            self.stdout.write(f"marked {result.assets} assets of {result.jobs} expired jobs")
        else:
            self._stats(as_json=options["json"])

    def _stats(self, *, as_json: bool) -> None:
        stats = retention_stats()
        if as_json:
            self.stdout.write(json.dumps(stats, indent=2, default=str))
            return
        header = f"{'':<28} {'files':>8} {'size':>10} {'exempt':>7} {'due':>6} {'deleted':>8}"

        def line(label, row):
            return (
                f"{label[:28]:<28} {row['files']:>8} {_size(row['size_bytes']):>10} "
                f"{row['exempt']:>7} {row['due']:>6} {row['deleted']:>8}"
            )

        self.stdout.write("by kind")
        self.stdout.write(header)
        for row in stats["by_kind"]:
            self.stdout.write(line(row["kind"], row))
        self.stdout.write(line("total", stats["total"]))
        self.stdout.write("\nby team")
        self.stdout.write(header)
        for row in stats["by_team"]:
            self.stdout.write(line(row["team"] or row["team_id"], row))
