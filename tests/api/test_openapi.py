"""The OpenAPI document lists the error statuses each operation can answer and no others
(schemathesis checks the other direction: nothing answered is undocumented)."""

import pytest

from genfans.api.api import api

SCHEMA = api.get_openapi_schema()


def _errors(method: str, path: str) -> set[str]:
    return {str(s) for s in SCHEMA["paths"][path][method]["responses"] if str(s)[0] in "45"}


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("get", "/api/team/members", {"400", "401", "403"}),
        ("get", "/api/jobs/{job_id}", {"400", "401", "403", "404"}),
        ("post", "/api/generate", {"400", "401", "402", "403", "404", "409", "429"}),
        ("post", "/api/uploads", {"400", "401", "403", "404", "409", "413"}),
        ("post", "/api/billing/checkout", {"400", "401", "403", "404", "409", "502"}),
        ("post", "/api/auth/sign-in", {"400", "401", "403", "404", "409", "415", "429"}),
        ("post", "/api/webhooks/fal", {"400", "404", "409"}),
    ],
)
def test_each_operation_documents_the_errors_it_can_answer(method, path, statuses):
    assert _errors(method, path) == statuses


def test_only_spending_operations_document_402():
    spending = {
        (method, path)
        for path, operations in SCHEMA["paths"].items()
        for method, operation in operations.items()
        if "402" in operation["responses"]
    }

    assert spending == {
        ("post", "/api/generate"),
        ("post", "/api/videos"),
        ("post", "/api/face-swap"),
        ("post", "/api/models"),
        ("post", "/api/models/{model_id}/refine"),
        ("post", "/api/models/{model_id}/generate"),
    }


def test_error_responses_describe_the_error_body():
    response = SCHEMA["paths"]["/api/generate"]["post"]["responses"]["402"]

    assert response["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert "x-genfans-errors" not in SCHEMA["paths"]["/api/generate"]["post"]
