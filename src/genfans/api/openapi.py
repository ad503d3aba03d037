"""The API object: every operation documents the error body it may answer with."""

from ninja import NinjaAPI

ERROR_STATUSES = {
    "400": "Invalid request (validation_error and other codes)",
    "401": "Not signed in or no valid API key; after a right password, two_factor_required",
    "402": "Not enough credits (insufficient_credits)",
    "403": "Not allowed for your role, or two_factor_setup_required (a team rule)",
    "404": "Not found in your team",
    "409": "Conflicts with the current state",
    "413": "Upload too large",
    "429": "Too many requests or queued jobs",
}

# Only the endpoints that sign a browser in (api/security.py `SessionStart`) refuse other bodies.
JSON_REQUIRED = "The body is not application/json (unsupported_media_type)"

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


class GenFansAPI(NinjaAPI):
    """Errors are mapped once (api/errors.py) for every route, so they are documented once."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        error_ref = {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        }
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_STATUSES.items():
                    responses.setdefault(status, {"description": description, **error_ref})
                if {"SessionStart": []} in operation.get("security", []):
                    responses.setdefault("415", {"description": JSON_REQUIRED, **error_ref})
        return schema
