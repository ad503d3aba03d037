"""Stripe's published request contract for the endpoints GenFans calls, enforced by the fake.

`contracts/stripe_v1.json` holds, per `METHOD /path`, the form parameters Stripe's OpenAPI
spec accepts (names, types, enums, required ones, nesting). A request the real API would
refuse gets Stripe's refusal: an unknown parameter, a missing required one, a value of the
wrong type or outside an enum → 400 `invalid_request_error` worded as Stripe words it; a
path that is not in the contract → 404 "Unrecognized request URL".
"""

import json
import re
from pathlib import Path

CONTRACT = json.loads((Path(__file__).parent / "contracts" / "stripe_v1.json").read_text())
_INTEGER = re.compile(r"-?\d+")
_EMPTY = {"type": "string", "enum": [""]}
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")


class ContractError(Exception):
    def __init__(self, message: str, param: str, code: str | None = None):
        super().__init__(message)
        self.message, self.param, self.code = message, param, code

    def as_response(self) -> tuple[int, dict]:
        error = {"type": "invalid_request_error", "message": self.message, "param": self.param}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        return 400, {"error": error}


def _template(path: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$")


_ROUTES = [
    (key.split(" ", 1)[0], _template(key.split(" ", 1)[1]), schema)
    for key, schema in CONTRACT["endpoints"].items()
]


def unrecognized(method: str, path: str) -> tuple[int, dict]:
    return 404, {
        "error": {
            "type": "invalid_request_error",
            "message": (
                f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
                "or we can help at https://support.stripe.com/."
            ),
        }
    }


def request_check(method: str, path: str, params: dict) -> tuple[int, dict] | None:
    """Stripe's refusal of this request, or None when the contract accepts it."""
    for route_method, pattern, schema in _ROUTES:
        if route_method == method and pattern.match(path):
            try:
                _object(params, schema, prefix="")
            except ContractError as refused:
                return refused.as_response()
            return None
    return unrecognized(method, path)


def _name(prefix: str, key: str | int) -> str:
    return f"{prefix}[{key}]" if prefix else str(key)


def _kind(value) -> str:
    return "object" if isinstance(value, dict) else "array" if isinstance(value, list) else "leaf"


def _schema_kind(schema: dict) -> str:
    return {"object": "object", "array": "array"}.get(schema.get("type", ""), "leaf")


def _check(value, schema: dict, param: str) -> None:
    if "anyOf" in schema:
        options = schema["anyOf"]
        if value == "" and _EMPTY in options:
            return  # Stripe's "emptyable" fields: an empty string unsets them
        options = [o for o in options if o != _EMPTY]
        fitting = [o for o in options if _schema_kind(o) == _kind(value)] or options
        for option in fitting[:-1]:
            try:
                _check(value, option, param)
            except ContractError:
                continue
            return
        _check(value, fitting[-1], param)
        return
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            raise ContractError("Invalid object", param)
        _object(value, schema, prefix=param)
    elif kind == "array":
        if not isinstance(value, list):
            raise ContractError("Invalid array", param)
        for index, item in enumerate(value):
            _check(item, schema["items"], _name(param, index))
    elif isinstance(value, dict | list):
        raise ContractError(f"Invalid {kind}: {value!r}", param)
    elif kind == "integer" and not _INTEGER.fullmatch(value):
        raise ContractError(f"Invalid integer: {value}", param)
    elif kind == "number" and not _NUMBER.fullmatch(value):
        raise ContractError(f"Invalid decimal: {value}", param)
    elif kind == "boolean" and value not in ("true", "false"):
        raise ContractError(f"Invalid boolean: {value}", param)
    elif "enum" in schema and value not in schema["enum"]:
        raise ContractError(f"Invalid {param}: must be one of {_one_of(schema['enum'])}", param)


def _one_of(values: list[str]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + f", or {values[-1]}"


def _object(value: dict, schema: dict, *, prefix: str) -> None:
    if "properties" not in schema:
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if extra:
                _check(item, extra, _name(prefix, key))
        return  # an excerpt: the nested fields were not copied
    properties = schema["properties"]
    for key in value:
        if key not in properties:
            name = _name(prefix, key)
            raise ContractError(f"Received unknown parameter: {name}", name, "parameter_unknown")
    for key in schema.get("required", []):
        if key not in value:
            name = _name(prefix, key)
            raise ContractError(f"Missing required param: {name}.", name, "parameter_missing")
    for key, item in value.items():
        _check(item, properties[key], _name(prefix, key))
