"""The API object: every operation documents the error statuses it can answer, no more.

Most follow from what the operation is (api/errors.py maps codes to statuses once):
- every operation can answer 400 (a schema it fails, text with control characters);
- one that needs a caller answers 401 without one and 403 when the role, the team's two-factor
  rule or the CSRF check refuses;
- one with an id in its path, and every write (its body names other rows), answers 404;
- every write can conflict with the current state (409);
- a session-starting endpoint refuses a body that is not JSON (415) and a failed CSRF check (403).
What is particular to an operation (402 for spending, 413 for uploads, 429, 502) it declares with
`openapi_extra=errors(...)`.
"""

from ninja import NinjaAPI

DESCRIPTIONS = {
    "400": "Invalid request (validation_error, invalid_text and other codes)",
    "401": "Not signed in, no valid API key, or wrong credentials; after a right password, "
    "two_factor_required",
    "402": "Not enough credits or over a spend limit (insufficient_credits, spend_limit_reached)",
    "403": "Not allowed for your role, csrf_failed, or two_factor_setup_required (a team rule)",
    "404": "Not found in your team",
    "409": "Conflicts with the current state",
    "413": "Upload too large (file_too_large)",
    # Only the endpoints that sign a browser in (api/security.py `SessionStart`) refuse it.
    "415": "The body is not application/json (unsupported_media_type)",
    "429": "Too many requests or queued jobs (see Retry-After when sent)",
    "502": "Stripe could not be reached (stripe_unavailable)",
}
WRITES = {"post", "put", "patch", "delete"}
DECLARED = "x-genfans-errors"

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}


def errors(*statuses: int) -> dict:
    """`openapi_extra` for the error statuses particular to one operation."""
    unknown = {str(status) for status in statuses} - DESCRIPTIONS.keys()
    if unknown:
        raise ValueError(f"undocumented error statuses: {sorted(unknown)}")
    return {DECLARED: [str(status) for status in statuses]}


def _statuses(path: str, method: str, operation: dict) -> set[str]:
    security = operation.get("security", [])
    starts_session = {"SessionStart": []} in security
    statuses = {"400", *operation.pop(DECLARED, [])}
    if starts_session:
        statuses |= {"403", "415"}
    elif security:
        statuses |= {"401", "403"}
    if "{" in path or method in WRITES:
        statuses.add("404")
    if method in WRITES:
        statuses.add("409")
    return statuses


class GenFansAPI(NinjaAPI):
    """Errors are mapped once (api/errors.py) for every route, so they are documented here."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        error_ref = {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        }
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                # ninja keys its own responses by int; a status it already has stays its own.
                documented = {str(status) for status in responses}
                for status in sorted(_statuses(path, method, operation) - documented):
                    responses[status] = {"description": DESCRIPTIONS[status], **error_ref}
        return schema
