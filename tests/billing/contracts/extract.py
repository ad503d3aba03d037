"""Rebuild `stripe_v1.json` from the request-parameter types of the installed stripe-python.

stripe-python's `stripe/params/**` modules are generated from Stripe's OpenAPI spec
(github.com/stripe/openapi) for the API version the SDK pins, so they are the published
spec for exactly the version our client sends. Run by hand when the SDK is upgraded:

    .venv/bin/python -m tests.billing.contracts.extract

Only the parameters GenFans sends are copied in full; every other top-level parameter is
kept by name and type (so an unknown name is still refused) without its nested fields.
"""

import decimal
import importlib
import json
import sys
import types
import typing
from pathlib import Path
from typing import NotRequired, Required

import stripe
from typing_extensions import is_typeddict

HERE = Path(__file__).parent
SPEC_URL = "https://github.com/stripe/openapi/blob/master/latest/openapi.spec3.json"

# (method, path) -> (params module, class, top-level parameters copied with their nesting)
ENDPOINTS: dict[tuple[str, str], tuple[str, str, list[str]]] = {
    ("POST", "/v1/customers"): ("_customer_create_params", "CustomerCreateParams", ["metadata"]),
    ("GET", "/v1/customers/{customer}"): (
        "_customer_retrieve_params",
        "CustomerRetrieveParams",
        [],
    ),
    ("POST", "/v1/checkout/sessions"): (
        "checkout._session_create_params",
        "SessionCreateParams",
        ["line_items", "metadata", "payment_intent_data", "subscription_data"],
    ),
    ("GET", "/v1/checkout/sessions/{session}"): (
        "checkout._session_retrieve_params",
        "SessionRetrieveParams",
        [],
    ),
    ("GET", "/v1/subscriptions/{subscription_exposed_id}"): (
        "_subscription_retrieve_params",
        "SubscriptionRetrieveParams",
        [],
    ),
    ("GET", "/v1/prices"): ("_price_list_params", "PriceListParams", ["lookup_keys"]),
    ("POST", "/v1/prices"): (
        "_price_create_params",
        "PriceCreateParams",
        ["metadata", "recurring"],
    ),
    ("GET", "/v1/prices/{price}"): ("_price_retrieve_params", "PriceRetrieveParams", []),
    ("POST", "/v1/products"): ("_product_create_params", "ProductCreateParams", ["metadata"]),
    ("GET", "/v1/products/{id}"): ("_product_retrieve_params", "ProductRetrieveParams", []),
    ("GET", "/v1/billing_portal/configurations"): (
        "billing_portal._configuration_list_params",
        "ConfigurationListParams",
        [],
    ),
    ("POST", "/v1/billing_portal/configurations"): (
        "billing_portal._configuration_create_params",
        "ConfigurationCreateParams",
        ["business_profile", "features", "metadata"],
    ),
    ("POST", "/v1/billing_portal/configurations/{configuration}"): (
        "billing_portal._configuration_update_params",
        "ConfigurationUpdateParams",
        ["business_profile", "features", "metadata"],
    ),
    ("POST", "/v1/billing_portal/sessions"): (
        "billing_portal._session_create_params",
        "SessionCreateParams",
        [],
    ),
    ("GET", "/v1/webhook_endpoints"): (
        "_webhook_endpoint_list_params",
        "WebhookEndpointListParams",
        [],
    ),
    ("POST", "/v1/webhook_endpoints"): (
        "_webhook_endpoint_create_params",
        "WebhookEndpointCreateParams",
        ["enabled_events"],
    ),
}

_OPTIONS = set(stripe.RequestOptions.__annotations__)


def _schema(hint, *, deep: bool, ns: dict) -> dict:  # noqa: C901 - one case per typing form
    if isinstance(hint, str):
        hint = eval(hint, ns)  # noqa: S307 - the SDK's own annotations
    if isinstance(hint, typing.ForwardRef):
        hint = eval(hint.__forward_arg__, ns)  # noqa: S307
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Required, NotRequired):
        return _schema(args[0], deep=deep, ns=ns)
    if origin is typing.Literal:
        return {"type": "string", "enum": list(args)}
    if origin in (typing.Union, types.UnionType):
        options: list[dict] = []
        for arg in args:
            option = _schema(arg, deep=deep, ns=ns)
            if arg is not type(None) and option not in options:
                options.append(option)
        enums = [o for o in options if o.get("enum") and o["enum"] != [""]]
        if enums and {"type": "string"} in options:
            # The SDK opens every enum with `| str` so that new values do not break typing;
            # the spec (and the API) accept only the listed values.
            options.remove({"type": "string"})
        return options[0] if len(options) == 1 else {"anyOf": options}
    if origin in (list, typing.List):  # noqa: UP006 - the SDK's annotations
        return {"type": "array", "items": _schema(args[0], deep=deep, ns=ns)}
    untyped = getattr(origin or hint, "__name__", "") == "UntypedStripeObject"
    if origin in (dict, typing.Dict) or untyped:  # noqa: UP006 - metadata-like maps
        return {"type": "object", "additionalProperties": {"type": "string"}}
    if isinstance(hint, type) and is_typeddict(hint):
        if not deep:
            return {"type": "object", "x-excerpt": "nested fields not copied"}
        return _object(hint, deep=True)
    if hint is decimal.Decimal:
        return {"type": "string", "format": "decimal"}
    simple = {str: "string", int: "integer", bool: "boolean", float: "number"}
    if hint in simple:
        return {"type": simple[hint]}
    raise TypeError(f"no schema for {hint!r}")


def _object(cls, *, deep: bool, expand: list[str] | None = None) -> dict:
    ns = vars(sys.modules[cls.__module__])
    properties = {}
    for name, hint in sorted(cls.__annotations__.items()):
        if name in _OPTIONS:
            continue
        deep_here = deep or (expand is not None and name in expand)
        properties[name] = _schema(hint, deep=deep_here, ns=ns)
    required = sorted(k for k in cls.__required_keys__ if k not in _OPTIONS)
    schema: dict = {"type": "object"}
    if required:
        schema["required"] = required
    schema["properties"] = properties
    return schema


def contracts() -> dict:
    endpoints = {}
    for (method, path), (module_name, class_name, expand) in ENDPOINTS.items():
        module = importlib.import_module(f"stripe.params.{module_name}")
        schema = _object(getattr(module, class_name), deep=False, expand=expand)
        endpoints[f"{method} {path}"] = schema
    return {
        "source": SPEC_URL,
        "source_note": (
            "Excerpt of the form parameters of the endpoints GenFans calls, as generated from "
            "Stripe's OpenAPI spec into stripe-python's request-parameter types. Objects marked "
            "x-excerpt keep their name and type only."
        ),
        "api_version": stripe.api_version,
        "sdk": f"stripe-python {stripe.VERSION}",
        "taken": "2026-12-02",
        "endpoints": endpoints,
    }


if __name__ == "__main__":
    out = HERE / "stripe_v1.json"
    out.write_text(json.dumps(contracts(), indent=1, sort_keys=False) + "\n")
    print(f"wrote {out}")
