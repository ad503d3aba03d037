"""Two-factor sign-in: setup, the code step of signing in (pages and API), recovery codes,
throttling, replay, turning it off."""

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from genfans.accounts.errors import (
    InvalidTwoFactorCode,
    TooManyTwoFactorAttempts,
    TwoFactorAlreadyEnabled,
    TwoFactorSetupNotStarted,
    WrongPassword,
)
from genfans.accounts.two_factor import (
    RECOVERY_CODE_COUNT,
    recovery_codes_regenerate,
    two_factor_confirm,
    two_factor_disable,
    two_factor_enabled,
    two_factor_setup_start,
    two_factor_verify,
)
from genfans.teams.models import Action, ActivityLog
from tests.factories import PASSWORD, make_user
from tests.two_factor_helpers import enable_two_factor, next_code, unthrottle

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def ada(db):
    return make_user(email="ada@example.com")


def actions(user) -> list[str]:
    return list(
        ActivityLog.objects.filter(user=user, action__contains="two_factor")
        .order_by("id")
        .values_list("action", flat=True)
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# Services


def test_setup_is_off_until_a_code_confirms_it(ada):
    device = two_factor_setup_start(user=ada)
    assert not device.confirmed
    assert not two_factor_enabled(user=ada)
    codes = two_factor_confirm(user=ada, code=next_code(device))
    assert two_factor_enabled(user=ada)
    assert len(codes) == RECOVERY_CODE_COUNT == len(set(codes))
    assert StaticToken.objects.filter(device__user=ada).count() == RECOVERY_CODE_COUNT
    assert actions(ada) == [Action.ENABLE_TWO_FACTOR]


def test_starting_again_replaces_an_unfinished_setup_and_confirm_needs_one(ada):
    with pytest.raises(TwoFactorSetupNotStarted):
        two_factor_confirm(user=ada, code="123456")
    first = two_factor_setup_start(user=ada)
    second = two_factor_setup_start(user=ada)
    assert list(TOTPDevice.objects.filter(user=ada).values_list("pk", flat=True)) == [second.pk]
    assert first.key != second.key


def test_a_wrong_setup_code_changes_nothing_but_is_counted(ada):
    device = two_factor_setup_start(user=ada)
    with pytest.raises(InvalidTwoFactorCode):
        two_factor_confirm(user=ada, code="000000" if next_code(device) != "000000" else "111111")
    device.refresh_from_db()
    assert not device.confirmed
    assert device.throttling_failure_count == 1
    assert not StaticToken.objects.filter(device__user=ada).exists()
    assert actions(ada) == []


def test_setup_cannot_start_again_once_on(ada):
    enable_two_factor(ada)
    with pytest.raises(TwoFactorAlreadyEnabled):
        two_factor_setup_start(user=ada)


def test_a_code_cannot_be_replayed(ada):
    device, _ = enable_two_factor(ada)
    code = next_code(device)
    two_factor_verify(user=ada, code=code)
    with pytest.raises(InvalidTwoFactorCode):
        two_factor_verify(user=ada, code=code)


def test_wrong_codes_are_throttled_even_before_a_right_one(ada):
    device, _ = enable_two_factor(ada)
    with pytest.raises(InvalidTwoFactorCode):
        two_factor_verify(user=ada, code="12345x")
    with pytest.raises(InvalidTwoFactorCode):
        two_factor_verify(user=ada, code=_wrong(device))
    # The second failure doubled the wait: even the right code is refused until it passes.
    with pytest.raises(TooManyTwoFactorAttempts):
        two_factor_verify(user=ada, code=next_code(device))
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    unthrottle(ada)
    two_factor_verify(user=ada, code=next_code(device))
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def _wrong(device) -> str:
    return "000000" if next_code(device) != "000000" else "111111"


def test_a_recovery_code_works_once(ada):
    _, codes = enable_two_factor(ada)
    two_factor_verify(user=ada, code=codes[0].upper())
    assert StaticToken.objects.filter(device__user=ada).count() == RECOVERY_CODE_COUNT - 1
    with pytest.raises(InvalidTwoFactorCode):
        two_factor_verify(user=ada, code=codes[0])
    log = ActivityLog.objects.get(user=ada, action=Action.USE_RECOVERY_CODE)
    assert log.metadata == {"remaining": RECOVERY_CODE_COUNT - 1}


def test_regenerating_recovery_codes_replaces_them(ada):
    _, old = enable_two_factor(ada)
    new = recovery_codes_regenerate(user=ada)
    assert set(StaticToken.objects.filter(device__user=ada).values_list("token", flat=True)) == (
        set(new)
    )
    with pytest.raises(InvalidTwoFactorCode):
        two_factor_verify(user=ada, code=old[1])
    unthrottle(ada)
    two_factor_verify(user=ada, code=new[1])
    assert (
        ActivityLog.objects.filter(user=ada, action=Action.REGENERATE_RECOVERY_CODES).count() == 1
    )


def test_turning_off_needs_the_password_and_a_code(ada):
    device, _ = enable_two_factor(ada)
    with pytest.raises(WrongPassword):
        two_factor_disable(user=ada, password="wrong", code=next_code(device))
    with pytest.raises(InvalidTwoFactorCode):
        two_factor_disable(user=ada, password=PASSWORD, code=_wrong(device))
    assert two_factor_enabled(user=ada)
    unthrottle(ada)
    two_factor_disable(user=ada, password=PASSWORD, code=next_code(device))
    assert not two_factor_enabled(user=ada)
    assert not TOTPDevice.objects.filter(user=ada).exists()
    assert not StaticToken.objects.filter(device__user=ada).exists()
    assert actions(ada) == [Action.ENABLE_TWO_FACTOR, Action.DISABLE_TWO_FACTOR]


# Pages


def test_page_sign_in_asks_for_the_code_before_starting_a_session(client, ada):
    device, codes = enable_two_factor(ada)
    response = client.post(
        "/sign-in", {"email": "ada@example.com", "password": PASSWORD, "next": "/dashboard/team"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/two-factor?next=/dashboard/team")
    assert not signed_in(client)
    assert client.get("/dashboard/").status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"Enter your code" in page.content

    wrong = client.post("/sign-in/two-factor", {"code": _wrong(device)})
    assert wrong.status_code == 400 and not signed_in(client)
    throttled = client.post("/sign-in/two-factor", {"code": next_code(device)})
    assert throttled.status_code == 429 and not signed_in(client)
    unthrottle(ada)
    done = client.post("/sign-in/two-factor", {"code": next_code(device), "next": "/dashboard/"})
    assert done.status_code == 302 and done["Location"] == "/dashboard/"
    assert signed_in(client)
    assert ActivityLog.objects.filter(user=ada, action=Action.SIGN_IN).count() == 1


def test_page_sign_in_with_a_recovery_code(client, ada):
    _, codes = enable_two_factor(ada)
    client.post("/sign-in", {"email": "ada@example.com", "password": PASSWORD})
    response = client.post("/sign-in/two-factor", {"code": codes[3]})
    assert response.status_code == 302 and signed_in(client)
    assert StaticToken.objects.filter(device__user=ada, token=codes[3]).count() == 0


def test_the_code_step_without_the_password_step_goes_back_to_sign_in(client, ada):
    enable_two_factor(ada)
    response = client.post("/sign-in/two-factor", {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == "/sign-in"
    assert not signed_in(client)


def test_security_page_sets_up_confirms_and_turns_off(client, ada):
    client.force_login(ada)
    page = client.get("/dashboard/security")
    assert b"Set up two-factor sign-in" in page.content
    client.post("/dashboard/security/two-factor/start")
    device = TOTPDevice.objects.get(user=ada)
    page = client.get("/dashboard/security")
    assert b"<svg" in page.content and b"otpauth://totp/" in page.content
    assert b"style=" not in page.content.split(b"<svg", 1)[1].split(b"</svg>", 1)[0]
    response = client.post("/dashboard/security/two-factor/confirm", {"code": next_code(device)})
    assert response.status_code == 200
    tokens = StaticToken.objects.filter(device__user=ada).values_list("token", flat=True)
    assert all(token.encode() in response.content for token in tokens)
    # Shown once: the page never shows them again.
    assert not any(t.encode() in client.get("/dashboard/security").content for t in tokens)

    refused = client.post(
        "/dashboard/security/two-factor/disable", {"password": "nope", "code": next_code(device)}
    )
    assert refused.status_code == 400 and two_factor_enabled(user=ada)
    response = client.post(
        "/dashboard/security/two-factor/disable", {"password": PASSWORD, "code": next_code(device)}
    )
    assert response.status_code == 302 and not two_factor_enabled(user=ada)


def test_security_page_regenerates_recovery_codes(client, ada):
    _, old = enable_two_factor(ada)
    client.force_login(ada)
    response = client.post("/dashboard/security/two-factor/recovery-codes")
    assert response.status_code == 200
    new = list(StaticToken.objects.filter(device__user=ada).values_list("token", flat=True))
    assert len(new) == RECOVERY_CODE_COUNT and not set(new) & set(old)
    assert all(code.encode() in response.content for code in new)


# API


def api_client() -> tuple[Client, dict]:
    client = Client(enforce_csrf_checks=True)
    token = client.get("/api/auth/csrf").json()["csrf_token"]
    return client, {"X-CSRFToken": token}


def test_api_sign_in_answers_two_factor_required_then_verify_starts_the_session(ada):
    device, _ = enable_two_factor(ada)
    client, headers = api_client()
    response = client.post(
        "/api/auth/sign-in",
        {"email": "ada@example.com", "password": PASSWORD},
        content_type=JSON,
        headers=headers,
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "two_factor_required"
    assert not signed_in(client)
    assert client.get("/api/user").status_code == 401

    wrong = client.post(
        "/api/auth/sign-in/verify", {"code": _wrong(device)}, content_type=JSON, headers=headers
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "invalid_two_factor_code"
    throttled = client.post(
        "/api/auth/sign-in/verify", {"code": next_code(device)}, content_type=JSON, headers=headers
    )
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "too_many_two_factor_attempts"
    assert not signed_in(client)

    unthrottle(ada)
    code = next_code(device)
    response = client.post(
        "/api/auth/sign-in/verify", {"code": code}, content_type=JSON, headers=headers
    )
    assert response.status_code == 200 and response.json()["email"] == "ada@example.com"
    assert signed_in(client)

    # The same code again, in a fresh password step: refused (no replay).
    other, other_headers = api_client()
    other.post(
        "/api/auth/sign-in",
        {"email": "ada@example.com", "password": PASSWORD},
        content_type=JSON,
        headers=other_headers,
    )
    replay = other.post(
        "/api/auth/sign-in/verify", {"code": code}, content_type=JSON, headers=other_headers
    )
    assert replay.status_code == 400 and not signed_in(other)


def test_api_verify_without_a_password_step_is_refused(ada):
    device, _ = enable_two_factor(ada)
    client, headers = api_client()
    response = client.post(
        "/api/auth/sign-in/verify", {"code": next_code(device)}, content_type=JSON, headers=headers
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "two_factor_sign_in_expired"
    assert not signed_in(client)


def test_api_sign_in_without_two_factor_is_unchanged(ada):
    client, headers = api_client()
    response = client.post(
        "/api/auth/sign-in",
        {"email": "ada@example.com", "password": PASSWORD},
        content_type=JSON,
        headers=headers,
    )
    assert response.status_code == 200 and signed_in(client)


def test_openapi_documents_the_verify_step(client):
    schema = client.get("/api/openapi.json").json()
    verify = schema["paths"]["/api/auth/sign-in/verify"]["post"]
    assert "429" in verify["responses"] and "two_factor" in verify["description"]
    assert "two_factor_required" in schema["paths"]["/api/auth/sign-in"]["post"]["description"]
