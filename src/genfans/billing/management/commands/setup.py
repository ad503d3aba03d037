"""`genfans setup`: database, Stripe keys, products and prices, webhook forwarding, `.env`.

Interactive by default; every answer can also be given as a flag (`--no-input` then takes
the flags and the current `.env` only), or piped on stdin, so it runs in scripts and tests.
Secrets are read without echo on a terminal and never printed back.
"""

import getpass
import secrets
import sys
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from genfans.billing import gateway
from genfans.billing.errors import StripeUnavailable
from genfans.billing.models import CreditPack, Plan
from genfans.billing.packs import pack_lookup_key
from genfans.billing.seed import PACKS, PLANS
from genfans.billing.selectors import plan_lookup_key
from genfans.billing.webhooks import HANDLERS

POSTGRES_SCHEMES = ("postgres://", "postgresql://")


def read_env(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def env_value(lines: list[str], name: str) -> str:
    for line in lines:
        key, sep, value = line.partition("=")
        if sep and key.strip() == name and not line.lstrip().startswith("#"):
            return value.strip()
    return ""


def write_env(path: Path, lines: list[str], values: dict[str, str]) -> None:
    """Set `values` in the env file, keeping its other lines and comments in place."""
    remaining = dict(values)
    out = []
    for line in lines:
        key, sep, _ = line.partition("=")
        name = key.strip()
        if sep and not line.lstrip().startswith("#") and name in remaining:
            out.append(f"{name}={remaining.pop(name)}")
        else:
            out.append(line)
    out += [f"{name}={value}" for name, value in remaining.items()]
    path.write_text("\n".join(out) + "\n")
    path.chmod(0o600)


class Command(BaseCommand):
    help = "Set up the database and Stripe (products, prices, webhook) and write .env."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--database", help="'sqlite' or a postgres:// URL")
        parser.add_argument("--stripe-key", help="Stripe secret key (sk_test_… or sk_live_…)")
        parser.add_argument("--webhook-secret", help="webhook signing secret (whsec_…)")
        parser.add_argument("--base-url", help="public address of this deployment")
        parser.add_argument("--env-file", help="where to write (default: ./.env)")
        parser.add_argument(
            "--webhook-endpoint",
            action="store_true",
            help="register $BASE_URL/api/stripe/webhook as an endpoint in Stripe",
        )
        parser.add_argument(
            "--no-input", action="store_true", help="ask nothing; use flags and the current .env"
        )

    # --- prompting ----------------------------------------------------------------------------

    def _ask(
        self, question: str, *, default: str = "", secret: bool = False, masked: bool = False
    ) -> str:
        """One answer; `secret` reads without echo, `masked` never shows the default."""
        if self.no_input:
            return default
        hidden = secret or masked
        hint = " [keep current]" if hidden and default else (f" [{default}]" if default else "")
        prompt = f"{question}{hint}: "
        if secret and self.stdin.isatty():
            answer = getpass.getpass(prompt)
        else:
            self.stdout.write(prompt, ending="")
            self.stdout.flush()
            answer = self.stdin.readline()
            if not answer:  # end of input: take the defaults from here on
                self.no_input = True
        return answer.strip() or default

    # --- steps --------------------------------------------------------------------------------

    def _database(self, given: str | None, current: str) -> str:
        answer = (
            given
            if given is not None
            else self._ask(
                "Database: Enter for SQLite (./var/genfans.sqlite3) or a PostgreSQL URL",
                default=current or "sqlite",
                masked=bool(current),  # a database URL may hold a password
            )
        )
        answer = answer.strip()
        if answer in ("", "sqlite"):
            return ""
        if not answer.startswith(POSTGRES_SCHEMES):
            raise CommandError("The database must be 'sqlite' or a postgres:// URL.")
        self._check_postgres(answer)
        return answer

    def _check_postgres(self, url: str) -> None:
        """Warn (without echoing the URL, which may hold a password) when it cannot connect."""
        import psycopg

        try:
            psycopg.connect(url, connect_timeout=3).close()
        except Exception as exc:  # noqa: BLE001 - any failure is reported the same way
            self.stdout.write(
                self.style.WARNING(
                    f"Could not connect to that PostgreSQL database ({type(exc).__name__}); "
                    "it is saved anyway: check it before `genfans migrate`."
                )
            )
        else:
            self.stdout.write("PostgreSQL: connected.")

    def _stripe_key(self, given: str | None, current: str) -> str:
        key = (
            given
            if given is not None
            else self._ask(
                "Stripe secret key (Enter to skip: plans switch with the development checkout)",
                default=current,
                secret=True,
            )
        )
        key = key.strip()
        if key and not key.startswith(("sk_", "rk_")):
            raise CommandError("A Stripe secret key starts with sk_ (or rk_ for a restricted key).")
        return key

    def _sync_prices(self, key: str) -> dict[str, str]:
        """The paid plans' prices and the packs'; {env name: price id}."""
        plans = [Plan(**spec) for spec in PLANS if spec["price_cents"]]
        packs = [CreditPack(**spec) for spec in PACKS]
        prices = {
            f"STRIPE_PRICE_{plan.code.upper()}": self._sync_price(
                gateway.plan_price_ensure, key, plan, plan_lookup_key(plan)
            )
            for plan in plans
        }
        prices |= {
            f"STRIPE_PRICE_PACK_{pack.code.upper()}": self._sync_price(
                gateway.pack_price_ensure, key, pack, pack_lookup_key(pack)
            )
            for pack in packs
        }
        return prices

    def _sync_price(
        self,
        ensure: Callable[..., tuple[str, bool]],
        key: str,
        item: Plan | CreditPack,
        lookup_key: str,
    ) -> str:
        try:
            price_id, created = ensure(
                api_key=key,
                code=item.code,
                name=item.name,
                unit_amount=item.price_cents,
                lookup_key=lookup_key,
            )
        except StripeUnavailable as exc:
            raise CommandError(f"Stripe refused the request: {exc.message}") from exc
        verb = "created" if created else "found"
        self.stdout.write(f"  {item.name}: price {price_id} ({verb})")
        with suppress(DatabaseError):  # not migrated yet: `genfans seed` reads them from .env
            type(item).objects.filter(code=item.code).update(stripe_price_id=price_id)
        return price_id

    def handle(self, *args, **options):
        self.no_input = options["no_input"]
        self.stdin = options.get("stdin") or sys.stdin
        path = Path(options["env_file"] or settings.BASE_DIR / ".env")
        lines = read_env(path)
        values: dict[str, str] = {}

        database = self._database(options["database"], env_value(lines, "DATABASE_URL"))
        values["DATABASE_URL"] = database
        base_url = (
            options["base_url"]
            or self._ask(
                "Public address", default=env_value(lines, "BASE_URL") or settings.BASE_URL
            )
        ).rstrip("/")
        values["BASE_URL"] = base_url
        if not env_value(lines, "AUTH_SECRET"):
            values["AUTH_SECRET"] = secrets.token_urlsafe(50)

        key = self._stripe_key(options["stripe_key"], env_value(lines, "STRIPE_SECRET_KEY"))
        values["STRIPE_SECRET_KEY"] = key
        if key:
            mode = "live" if key.startswith(("sk_live_", "rk_live_")) else "test"
            self.stdout.write(
                f"Stripe ({mode} mode): products and prices for the paid plans and credit packs"
            )
            values |= self._sync_prices(key)
            webhook_secret = options["webhook_secret"]
            if webhook_secret is None and self._wants_endpoint(base_url, options):
                webhook_secret = self._register_endpoint(key, base_url)
            if webhook_secret is None:
                self.stdout.write(
                    "Forward Stripe's webhooks to this app (in another terminal):\n"
                    f"  stripe listen --forward-to {base_url}/api/stripe/webhook\n"
                    "It prints a signing secret (whsec_…)."
                )
                webhook_secret = self._ask(
                    "Webhook signing secret (Enter to skip)",
                    default=env_value(lines, "STRIPE_WEBHOOK_SECRET"),
                    secret=True,
                )
            if webhook_secret and not webhook_secret.startswith("whsec_"):
                raise CommandError("A webhook signing secret starts with whsec_.")
            values["STRIPE_WEBHOOK_SECRET"] = webhook_secret.strip()

        write_env(path, lines, values)
        self._summary(path, values)

    def _wants_endpoint(self, base_url: str, options) -> bool:
        """Register an endpoint in Stripe only for a public https address (Stripe cannot reach
        a local one: use `stripe listen` there)."""
        if options["webhook_endpoint"]:
            return True
        host = urlparse(base_url).hostname or ""
        public = base_url.startswith("https://") and host not in ("localhost", "127.0.0.1")
        if not public or self.no_input:
            return False
        answer = self._ask(f"Register {base_url}/api/stripe/webhook in Stripe? (y/n)", default="y")
        return answer.lower().startswith("y")

    def _register_endpoint(self, key: str, base_url: str) -> str | None:
        url = f"{base_url}/api/stripe/webhook"
        try:
            secret, created = gateway.webhook_endpoint_ensure(
                api_key=key, url=url, events=sorted(HANDLERS)
            )
        except StripeUnavailable as exc:
            raise CommandError(f"Stripe refused the request: {exc.message}") from exc
        if created:
            self.stdout.write(f"Webhook endpoint registered: {url}")
            return secret
        self.stdout.write(
            f"A webhook endpoint for {url} exists already; copy its signing secret from the "
            "Stripe dashboard (Developers → Webhooks)."
        )
        return None

    def _summary(self, path: Path, values: dict[str, str]) -> None:
        def state(name: str) -> str:
            return "set" if values.get(name) else "not set"

        database = "PostgreSQL" if values["DATABASE_URL"] else "SQLite (./var/genfans.sqlite3)"
        self.stdout.write(self.style.SUCCESS(f"Wrote {path}"))
        self.stdout.write(f"  database: {database}")
        self.stdout.write(f"  BASE_URL: {values['BASE_URL']}")
        self.stdout.write(f"  STRIPE_SECRET_KEY: {state('STRIPE_SECRET_KEY')}")
        if values["STRIPE_SECRET_KEY"]:
            self.stdout.write(f"  STRIPE_WEBHOOK_SECRET: {state('STRIPE_WEBHOOK_SECRET')}")
            self.stdout.write(
                "Webhooks: run `stripe listen --forward-to "
                f"{values['BASE_URL']}/api/stripe/webhook` (or add an endpoint for that URL "
                "in the Stripe dashboard with the events listed in the README)."
            )
        else:
            self.stdout.write("  Billing: development checkout (no Stripe key; DEBUG on)")
        self.stdout.write("Next: genfans migrate && genfans seed, then genfans run")
