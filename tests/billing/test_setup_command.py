"""`genfans setup`, driven by flags and by stdin, against the fake Stripe API."""

import io

import pytest
from django.core.management import CommandError, call_command

from genfans.billing.models import CreditPack, Plan
from genfans.billing.seed import seed_packs

SECRET_KEY = "sk_test_fake"


def run_setup(tmp_path, *, stdin: str | None = None, **flags) -> tuple[str, str]:
    out = io.StringIO()
    env_file = tmp_path / ".env"
    kwargs = {"env_file": str(env_file), "stdout": out, **flags}
    if stdin is not None:
        kwargs["stdin"] = io.StringIO(stdin)
    else:
        kwargs["no_input"] = True
    call_command("setup", **kwargs)
    return out.getvalue(), env_file.read_text()


def env_dict(text: str) -> dict[str, str]:
    pairs = (line.partition("=") for line in text.splitlines() if "=" in line)
    return {k: v for k, _, v in pairs}


@pytest.fixture
def empty_stripe(fake_stripe):
    """The fake Stripe account with no products or prices yet."""
    fake_stripe.products.clear()
    fake_stripe.prices.clear()
    Plan.objects.update(stripe_price_id="")
    seed_packs()
    return fake_stripe


PRODUCTS = {
    "genfans_starter",
    "genfans_pro",
    "genfans_studio",
    "genfans_pack_small",
    "genfans_pack_medium",
    "genfans_pack_large",
}


def test_setup_creates_products_and_prices_once(tmp_path, empty_stripe):
    output, env = run_setup(
        tmp_path,
        database="sqlite",
        stripe_key=SECRET_KEY,
        webhook_secret="whsec_abc",
        base_url="http://127.0.0.1:8000",
    )

    values = env_dict(env)
    assert set(empty_stripe.products) == PRODUCTS
    by_key = {p["lookup_key"]: p for p in empty_stripe.prices.values()}
    assert set(by_key) == {
        "genfans_starter_monthly",
        "genfans_pro_monthly",
        "genfans_studio_monthly",
        "genfans_pack_small",
        "genfans_pack_medium",
        "genfans_pack_large",
    }
    assert by_key["genfans_pro_monthly"]["unit_amount"] == 7900
    assert by_key["genfans_pro_monthly"]["recurring"] == {"interval": "month"}
    assert values["STRIPE_PRICE_PRO"] == by_key["genfans_pro_monthly"]["id"]
    for pack in CreditPack.objects.all():
        price = by_key[f"genfans_pack_{pack.code}"]
        assert price["type"] == "one_time" and price["recurring"] is None
        assert price["unit_amount"] == pack.price_cents
        assert price["product"] == f"genfans_pack_{pack.code}"
        assert values[f"STRIPE_PRICE_PACK_{pack.code.upper()}"] == price["id"]
        assert pack.stripe_price_id == price["id"]
    assert "2,000 credits: price" in output
    assert values["STRIPE_SECRET_KEY"] == SECRET_KEY
    assert values["STRIPE_WEBHOOK_SECRET"] == "whsec_abc"
    assert values["DATABASE_URL"] == ""
    assert len(values["AUTH_SECRET"]) > 40
    assert Plan.objects.get(code="pro").stripe_price_id == values["STRIPE_PRICE_PRO"]
    assert "stripe listen --forward-to http://127.0.0.1:8000/api/stripe/webhook" in output
    for secret in (SECRET_KEY, "whsec_abc", values["AUTH_SECRET"]):
        assert secret not in output

    again, env_again = run_setup(tmp_path, stripe_key=SECRET_KEY, webhook_secret="whsec_abc")

    assert len(empty_stripe.prices) == 6 and len(empty_stripe.products) == 6
    assert "(found)" in again and "(created)" not in again
    assert env_dict(env_again)["STRIPE_PRICE_PRO"] == values["STRIPE_PRICE_PRO"]
    assert env_dict(env_again)["STRIPE_PRICE_PACK_LARGE"] == values["STRIPE_PRICE_PACK_LARGE"]
    assert env_dict(env_again)["AUTH_SECRET"] == values["AUTH_SECRET"]
    assert env_again.count("STRIPE_PRICE_PRO=") == 1


def test_a_changed_amount_gets_a_new_price_with_the_lookup_key(tmp_path, empty_stripe):
    run_setup(tmp_path, stripe_key=SECRET_KEY, webhook_secret="")
    [old] = [p for p in empty_stripe.prices.values() if p["lookup_key"] == "genfans_pro_monthly"]
    old["unit_amount"] = 5000

    _, env = run_setup(tmp_path, stripe_key=SECRET_KEY, webhook_secret="")

    [new] = [p for p in empty_stripe.prices.values() if p["lookup_key"] == "genfans_pro_monthly"]
    assert new["id"] != old["id"] and new["unit_amount"] == 7900
    assert env_dict(env)["STRIPE_PRICE_PRO"] == new["id"]


def test_a_recurring_price_under_a_packs_lookup_key_is_replaced_by_a_one_time_one(
    tmp_path, empty_stripe
):
    wrong = empty_stripe.add_price(
        lookup_key="genfans_pack_small", unit_amount=1500, product="genfans_pack_small"
    )

    _, env = run_setup(tmp_path, stripe_key=SECRET_KEY, webhook_secret="")

    [new] = [p for p in empty_stripe.prices.values() if p["lookup_key"] == "genfans_pack_small"]
    assert new["id"] != wrong["id"] and new["type"] == "one_time"
    assert env_dict(env)["STRIPE_PRICE_PACK_SMALL"] == new["id"]
    assert CreditPack.objects.get(code="small").stripe_price_id == new["id"]


def test_interactive_answers_on_stdin_and_secrets_are_never_printed(tmp_path, empty_stripe):
    answers = "postgres://app:hunter2@db.internal:5432/genfans\nhttps://genfans.example\n"
    answers += f"{SECRET_KEY}\nn\nwhsec_interactive\n"  # n: no endpoint registration

    output, env = run_setup(tmp_path, stdin=answers)

    values = env_dict(env)
    assert values["DATABASE_URL"] == "postgres://app:hunter2@db.internal:5432/genfans"
    assert values["BASE_URL"] == "https://genfans.example"
    assert values["STRIPE_SECRET_KEY"] == SECRET_KEY
    assert values["STRIPE_WEBHOOK_SECRET"] == "whsec_interactive"
    assert "stripe listen --forward-to https://genfans.example/api/stripe/webhook" in output
    for secret in ("hunter2", SECRET_KEY, "whsec_interactive"):
        assert secret not in output
    assert "database: PostgreSQL" in output
    assert "Could not connect to that PostgreSQL database" in output  # no such host here
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600


def test_without_a_key_nothing_is_asked_of_stripe(tmp_path, empty_stripe):
    (tmp_path / ".env").write_text("# my settings\nFAL_KEY=keepme\n")

    output, env = run_setup(tmp_path, stdin="\n\n\n")

    assert empty_stripe.requests == []
    assert "development checkout" in output
    assert env.startswith("# my settings\nFAL_KEY=keepme\n")
    assert env_dict(env)["STRIPE_SECRET_KEY"] == ""


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"database": "mysql://x"}, "postgres://"),
        ({"stripe_key": "pk_test_public"}, "starts with sk_"),
        ({"stripe_key": SECRET_KEY, "webhook_secret": "nope"}, "whsec_"),
    ],
)
def test_bad_answers_are_refused(tmp_path, empty_stripe, flags, message):
    with pytest.raises(CommandError, match=message):
        run_setup(tmp_path, **flags)
    assert not (tmp_path / ".env").exists()


def test_a_reachable_postgres_url_is_checked(tmp_path, empty_stripe):
    output, env = run_setup(
        tmp_path, database="postgres://postgres@127.0.0.1:5432/postgres", stripe_key=""
    )

    assert env_dict(env)["DATABASE_URL"] == "postgres://postgres@127.0.0.1:5432/postgres"
    assert "PostgreSQL: connected." in output or "Could not connect" in output


def test_a_rerun_keeps_answers_without_showing_them(tmp_path, empty_stripe):
    (tmp_path / ".env").write_text(
        "DATABASE_URL=postgres://app:hunter2@127.0.0.1:1/x\nSTRIPE_SECRET_KEY=sk_test_fake\n"
        "STRIPE_WEBHOOK_SECRET=whsec_kept\n"
    )

    output, env = run_setup(tmp_path, stdin="\n\n\n\n")

    values = env_dict(env)
    assert values["DATABASE_URL"] == "postgres://app:hunter2@127.0.0.1:1/x"
    assert values["STRIPE_SECRET_KEY"] == "sk_test_fake"
    assert values["STRIPE_WEBHOOK_SECRET"] == "whsec_kept"
    assert "[keep current]" in output
    for secret in ("hunter2", "sk_test_fake", "whsec_kept"):
        assert secret not in output


def test_a_public_address_gets_a_webhook_endpoint_and_its_secret(tmp_path, empty_stripe):
    answers = "sqlite\nhttps://genfans.example\nsk_test_fake\ny\n"

    output, env = run_setup(tmp_path, stdin=answers)

    [endpoint] = empty_stripe.webhook_endpoints.values()
    assert endpoint["url"] == "https://genfans.example/api/stripe/webhook"
    assert set(endpoint["enabled_events"]) == {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "charge.refunded",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.trial_will_end",
        "invoice.paid",
        "invoice.payment_failed",
    }
    secret = env_dict(env)["STRIPE_WEBHOOK_SECRET"]
    assert secret.startswith("whsec_created") and secret not in output

    # Again: the endpoint exists, Stripe will not show its secret twice; the saved one stays.
    again, env_again = run_setup(tmp_path, stdin="\n\n\ny\n\n")

    assert len(empty_stripe.webhook_endpoints) == 1
    assert "exists already" in again
    assert env_dict(env_again)["STRIPE_WEBHOOK_SECRET"] == secret


def test_a_local_address_is_told_to_use_stripe_listen(tmp_path, empty_stripe):
    output, _ = run_setup(tmp_path, stdin="sqlite\nhttp://127.0.0.1:8000\nsk_test_fake\n\n")

    assert empty_stripe.webhook_endpoints == {}
    assert "stripe listen --forward-to http://127.0.0.1:8000/api/stripe/webhook" in output
