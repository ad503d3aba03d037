"""Schemathesis's stateful phase: chains of calls linked by the ids one response hands the next
(a model's id from its creation to its rename, a job's id from a list to its cancel), with every
check on: no 5xx, and every answer as the OpenAPI document describes it."""

import os

import pytest
import werkzeug
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from genfans.config.wsgi import application
from tests.api.fuzzing import schema
from tests.credits.factories import give_credits
from tests.factories import make_api_key, make_user

pytestmark = [pytest.mark.property, pytest.mark.usefixtures("wsgi_app_calls")]


class Workflow(schema.as_state_machine()):
    headers: dict[str, str] = {}

    def before_call(self, case):
        # On the case, not the transport: the auth check then knows which header to take away.
        case.headers = {**(case.headers or {}), **self.headers}

    def get_call_kwargs(self, case):
        # A client of its own per call: the shared one keeps cookies, and a session that some
        # earlier step started would answer for a request the auth check sent without a key.
        return {"session": werkzeug.Client(application)}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        # As in the stateless run, schema-valid input may still break a business rule (4xx).
        # Every operation takes an API key or a session cookie; the check that forges one of
        # them cannot know the valid key we send beside it makes a 200 right.
        case.validate_response(
            response,
            additional_checks=additional_checks,
            excluded_checks=[positive_data_acceptance, ignored_auth],
            transport_kwargs=kwargs or None,
        )


def test_linked_calls_never_fail_and_match_the_schema(db):
    user = make_user(email="stateful@example.com")
    team = user.memberships.get().team
    give_credits(team, 10_000)
    Workflow.headers = {"Authorization": f"Bearer {make_api_key(team=team, user=user)}"}

    soak = os.environ.get("GENFANS_SOAK") == "1"
    Workflow.run(
        settings=settings(
            max_examples=400 if soak else 40,
            stateful_step_count=15 if soak else 8,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
