"""Sign-in throttling: budgets per (account, IP), per account and per IP, counted atomically
before the password is checked, with a doubling backoff; and whose address counts."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.signals import user_login_failed
from django.db import connection
from django.db.models import F
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from genfans.accounts.errors import InvalidCredentials, TooManySignInAttempts
from genfans.accounts.services import user_authenticate
from genfans.core.http import client_ip
from genfans.core.middleware import TrustedProxyMiddleware
from genfans.core.models import RateCounter
from genfans.core.ratelimit import counter_hit, counters_prune
from genfans.teams.models import ActivityLog
from tests.factories import PASSWORD, make_user

ATTACKER = "198.51.100.66"
OWNER_IP = "203.0.113.5"


@pytest.fixture
def ada(db):
    return make_user(email="ada@example.com")


def _sign_in(client, *, email="ada@example.com", password="wrong-password", ip=OWNER_IP, **meta):
    return client.post(
        "/api/auth/sign-in",
        {"email": email, "password": password},
        content_type="application/json",
        REMOTE_ADDR=ip,
        **meta,
    )


def _codes(client, times, **kwargs):
    return [_sign_in(client, **kwargs).status_code for _ in range(times)]


def _request(*, remote_addr, forwarded_for=None):
    meta = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **meta)


def test_forged_forwarded_for_is_ignored_without_trusted_proxies(client, settings, ada):
    settings.SIGN_IN_MAX_FAILURES = 2
    codes = [_sign_in(client, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(1, 5)]
    assert codes == [401, 401, 429, 429]

    response = _sign_in(
        client, password=PASSWORD, ip="203.0.113.77", HTTP_X_FORWARDED_FOR="192.0.2.200"
    )
    assert response.status_code == 200
    assert list(
        ActivityLog.objects.filter(action="sign_in").values_list("ip_address", flat=True)
    ) == ["203.0.113.77"]


@pytest.mark.parametrize(
    ("remote_addr", "forwarded_for", "expected"),
    [
        # Not a proxy of ours: its header says nothing.
        ("198.51.100.9", "192.0.2.1", "198.51.100.9"),
        # The right-most address our proxy did not write is the client; the left is forged.
        ("10.0.0.2", "192.0.2.200, 192.0.2.1", "192.0.2.1"),
        ("10.0.0.2", "192.0.2.200, 192.0.2.1, 10.0.0.3", "192.0.2.1"),
        # Only trusted hops: the left-most of them.
        ("10.0.0.2", "10.0.0.7, 10.0.0.3", "10.0.0.7"),
        # Garbage stops the walk at the last good hop.
        ("10.0.0.2", "192.0.2.1, not-an-ip", "10.0.0.2"),
        ("10.0.0.2", "", "10.0.0.2"),
        ("::ffff:10.0.0.2", "192.0.2.1", "192.0.2.1"),
    ],
)
def test_forwarded_for_is_read_only_from_trusted_proxies(
    settings, remote_addr, forwarded_for, expected
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(_request(remote_addr=remote_addr, forwarded_for=forwarded_for)) == expected


def test_behind_a_trusted_proxy_the_forwarded_client_is_limited_and_logged(client, settings, ada):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    settings.SIGN_IN_MAX_FAILURES = 2
    # The attacker rotates what they prepend; the proxy's own entry does not change.
    codes = [
        _sign_in(client, ip="10.0.0.2", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ATTACKER}").status_code
        for n in range(3)
    ]
    assert codes == [401, 401, 429]

    response = _sign_in(client, password=PASSWORD, ip="10.0.0.2", HTTP_X_FORWARDED_FOR=OWNER_IP)
    assert response.status_code == 200
    assert ActivityLog.objects.get(action="sign_in").ip_address == OWNER_IP


def _is_secure(request):
    return TrustedProxyMiddleware(lambda r: HttpResponse(str(r.is_secure())))(request).content


@pytest.mark.parametrize(
    ("remote_addr", "secure"), [("198.51.100.9", b"False"), ("10.0.0.2", b"True")]
)
def test_forwarded_proto_is_believed_only_from_trusted_proxies(settings, remote_addr, secure):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_PROTO="https")
    assert _is_secure(request) == secure


def test_forwarded_proto_is_ignored_with_no_trusted_proxies():
    assert django_settings.TRUSTED_PROXIES == []
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_PROTO="https")
    assert _is_secure(request) == b"False"
    # First, so nothing before it reads the header.
    assert django_settings.MIDDLEWARE[0] == "genfans.core.middleware.TrustedProxyMiddleware"


def test_an_attacker_elsewhere_does_not_lock_the_owner_out(client, settings, ada):
    settings.SIGN_IN_MAX_FAILURES = 3
    assert _codes(client, 10, ip=ATTACKER) == [401] * 3 + [429] * 7
    assert _sign_in(client, password=PASSWORD, ip=OWNER_IP).status_code == 200


def test_one_ip_failing_for_one_account_does_not_block_others_until_the_ip_ceiling(
    client, settings, ada
):
    settings.SIGN_IN_MAX_FAILURES = 2
    settings.SIGN_IN_IP_MAX_FAILURES = 5
    for email in ("bob@example.com", "cy@example.com", "di@example.com"):
        make_user(email=email)
    assert _codes(client, 3, ip=ATTACKER) == [401, 401, 429]
    # The refused third attempt did not spend the IP's budget, and a success gives its back.
    assert _sign_in(client, email="bob@example.com", ip=ATTACKER).status_code == 401
    assert (
        _sign_in(client, email="bob@example.com", password=PASSWORD, ip=ATTACKER).status_code == 200
    )
    assert _codes(client, 2, email="cy@example.com", ip=ATTACKER) == [401, 401]
    over = _sign_in(client, email="di@example.com", password=PASSWORD, ip=ATTACKER)
    assert over.status_code == 429
    assert over.json()["error"]["code"] == "too_many_sign_in_attempts"
    assert _sign_in(client, email="di@example.com", password=PASSWORD).status_code == 200


def test_the_account_ceiling_holds_across_ips(client, settings, ada):
    settings.SIGN_IN_MAX_FAILURES = 2
    settings.SIGN_IN_ACCOUNT_MAX_FAILURES = 3
    codes = [_sign_in(client, ip=f"192.0.2.{n}").status_code for n in range(1, 6)]
    assert codes == [401, 401, 401, 429, 429]


def _window_back(seconds):
    """As if the (account, IP) window had started `seconds` earlier."""
    RateCounter.objects.filter(key__startswith="signin/pair/").exclude(
        key__contains="/slot/"
    ).update(expires_at=F("expires_at") - timedelta(seconds=seconds))


def test_backoff_doubles_instead_of_a_fixed_lockout(client, settings, ada):
    settings.SIGN_IN_MAX_FAILURES = 2
    settings.SIGN_IN_BACKOFF_SECONDS = 30
    settings.SIGN_IN_WINDOW_SECONDS = 3600
    assert _codes(client, 2) == [401, 401]
    waits = []
    for elapsed in (30, 60, 120):
        refused = _sign_in(client)
        assert refused.status_code == 429
        waits.append(int(refused["Retry-After"]))
        assert refused.json()["error"]["details"] == {"retry_after": waits[-1]}
        _window_back(elapsed)
        # One attempt per slot once the slot opens, then refused again.
        assert _sign_in(client).status_code == 401
    assert waits == [30, 60, 120]
    assert "Try again in 4 minutes" in _sign_in(client).json()["error"]["message"]


def test_the_budget_restarts_when_the_window_ends(client, settings, ada):
    settings.SIGN_IN_MAX_FAILURES = 2
    settings.SIGN_IN_WINDOW_SECONDS = 600
    assert _codes(client, 3) == [401, 401, 429]
    _window_back(600)
    assert _codes(client, 3) == [401, 401, 429]


def test_a_successful_sign_in_clears_its_own_budget(client, settings, ada):
    settings.SIGN_IN_MAX_FAILURES = 3
    assert _codes(client, 2) == [401, 401]
    assert _sign_in(client, password=PASSWORD).status_code == 200
    assert _codes(client, 4) == [401, 401, 401, 429]


def test_web_sign_in_over_the_limit_answers_429(client, settings, ada):
    settings.SIGN_IN_MAX_FAILURES = 1
    form = {"email": "ada@example.com", "password": "wrong-password"}
    assert client.post("/sign-in", form, REMOTE_ADDR=ATTACKER).status_code == 400
    refused = client.post("/sign-in", form, REMOTE_ADDR=ATTACKER)
    assert refused.status_code == 429
    assert b"Try again in 30 seconds" in refused.content
    assert refused["Retry-After"] == "30"


def test_counter_window_restarts_at_one_and_expired_rows_are_pruned(db):
    assert [counter_hit(key="k", window_seconds=60).count for _ in range(3)] == [1, 2, 3]
    counter_hit(key="other", window_seconds=60)
    RateCounter.objects.filter(key="k").update(expires_at=timezone.now())
    assert counter_hit(key="k", window_seconds=60).count == 1

    RateCounter.objects.filter(key="other").update(expires_at=timezone.now())
    assert counters_prune() == 1
    assert list(RateCounter.objects.values_list("key", "count")) == [("k", 1)]
    assert ("rate-counters-prune", 3600, "genfans.core.tasks.rate_counters_prune_task") in (
        django_settings.PERIODIC_TASKS
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_guesses_check_at_most_the_limit(settings):
    settings.SIGN_IN_MAX_FAILURES = 5
    make_user(email="ada@example.com")
    checked = []
    outcomes = []
    barrier = threading.Barrier(40)

    def count_check(sender, credentials, **kwargs):
        checked.append(credentials["username"])

    def guess():
        try:
            barrier.wait()
            user_authenticate(
                request=None, email="ada@example.com", password="wrong", ip_address=ATTACKER
            )
        except InvalidCredentials:
            outcomes.append(401)
        except TooManySignInAttempts:
            outcomes.append(429)
        finally:
            connection.close()

    user_login_failed.connect(count_check)
    try:
        threads = [threading.Thread(target=guess) for _ in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        user_login_failed.disconnect(count_check)
    assert len(checked) == 5
    assert sorted(outcomes) == [401] * 5 + [429] * 35
