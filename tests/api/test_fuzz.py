"""Schemathesis against our own OpenAPI schema, through the WSGI app, with a valid API key:
no 5xx anywhere, and every response matches the schema."""

import pytest
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.fuzzing import schema
from tests.factories import make_api_key, make_user

pytestmark = [pytest.mark.property, pytest.mark.usefixtures("wsgi_app_calls")]


@pytest.fixture
def api_key(db):
    user = make_user(email="fuzz@example.com")
    return make_api_key(team=user.memberships.get().team, user=user)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_never_fails_and_matches_its_schema(case, api_key):
    # Schema-valid input can still break a business rule (a weak password, an unknown id),
    # which is a 4xx by design, so "positive data must be accepted" does not apply.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_key}"},
        excluded_checks=[positive_data_acceptance],
    )
