"""A local fake of the parts of Stripe's HTTP API GenFans uses.

A threaded HTTP server that speaks Stripe's wire format: form-encoded requests with
bracketed keys (`metadata[team_id]=…`, `line_items[0][price]=…`), JSON objects back,
`{"error": {…}}` with a 4xx for unknown ids. The official SDK is pointed at it through
`STRIPE_API_BASE` (its `base_addresses`), so the tests exercise the real client code.

Every request is first checked against Stripe's published parameters for its endpoint
(`stripe_contract`) and refused as Stripe would refuse it; the refusals are kept in
`contract_refusals`, which the `fake_stripe` fixture requires to be empty at the end of a test.
"""

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from tests.billing.stripe_contract import request_check, unrecognized

MONTHLY = {"interval": "month"}


def _nest(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's bracket encoding to nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        last = parts[-1]
        if last == "" and isinstance(node, dict):  # `expand[]=x`
            node.setdefault("__list__", []).append(value)
        else:
            node[last] = value
    return _listify(root)


def _listify(node):
    if isinstance(node, dict):
        if set(node) == {"__list__"}:
            return node["__list__"]
        if node and all(k.isdigit() for k in node):
            return [_listify(node[k]) for k in sorted(node, key=int)]
        return {k: _listify(v) for k, v in node.items()}
    return node


class FakeStripe:
    def __init__(self):
        self.customers: dict[str, dict] = {}
        self.products: dict[str, dict] = {}
        self.prices: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}
        self.portal_configurations: dict[str, dict] = {}
        self.portal_sessions: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.webhook_endpoints: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.contract_refusals: list[tuple[str, str, dict]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.base = "http://stripe.invalid"

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _hosted_page(self, path: str) -> bool:
                """The pages Stripe hosts for the customer: paying completes the checkout,
                the portal just returns; both redirect back like Stripe does."""
                kind, _, ident = path.strip("/").partition("/")
                with fake._lock:
                    if kind == "pay" and ident in fake.sessions:
                        session = fake.sessions[ident]
                        paid = session["mode"] == "payment"
                        complete = fake.complete_payment if paid else fake.complete_checkout
                        target = session["_params"]["success_url"].replace(
                            "{CHECKOUT_SESSION_ID}", ident
                        )
                    elif kind == "portal" and ident in fake.portal_sessions:
                        target = fake.portal_sessions[ident]["return_url"]
                    else:
                        return False
                if kind == "pay":
                    complete(ident)
                self.send_response(303)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return True

            def _handle(self, method: str):
                url = urlsplit(self.path)
                hosted = method == "GET" and not url.path.startswith("/v1/")
                if hosted and self._hosted_page(url.path):
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                pairs = parse_qsl(url.query, keep_blank_values=True)
                pairs += parse_qsl(body, keep_blank_values=True)
                params = _nest(pairs)
                with fake._lock:
                    fake.requests.append((method, url.path, params))
                    refused = request_check(method, url.path, params)
                    if refused:
                        fake.contract_refusals.append((method, url.path, refused[1]["error"]))
                    status, payload = refused or fake.route(method, url.path, params)
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.send_header("Request-Id", f"req_{next(fake._ids)}")
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self.base

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    # --- helpers ------------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_test{next(self._ids):06d}"

    def calls(self, method: str, path: str) -> list[dict]:
        return [p for m, pth, p in self.requests if m == method and pth == path]

    @staticmethod
    def _missing(kind: str, ident: str):
        return 404, {
            "error": {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "message": f"No such {kind}: '{ident}'",
            }
        }

    @staticmethod
    def _list(url: str, data: list[dict]) -> dict:
        return {"object": "list", "url": url, "has_more": False, "data": data}

    @staticmethod
    def _invalid(message: str, param: str):
        return 400, {"error": {"type": "invalid_request_error", "message": message, "param": param}}

    def add_price(
        self,
        *,
        lookup_key: str,
        unit_amount: int = 2900,
        product: str = "",
        recurring: dict | None = MONTHLY,
    ) -> dict:
        """A price; `recurring=None` makes it one-time (what credit packs are sold at)."""
        product = product or self.new_id("prod")
        self.products.setdefault(product, {"id": product, "object": "product", "name": product})
        price = {
            "id": self.new_id("price"),
            "object": "price",
            "active": True,
            "lookup_key": lookup_key,
            "product": product,
            "unit_amount": unit_amount,
            "currency": "usd",
            "type": "recurring" if recurring else "one_time",
            "recurring": dict(recurring) if recurring else None,
            "metadata": {},
        }
        self.prices[price["id"]] = price
        return price

    def subscription_for(
        self, *, customer: str, price_id: str, metadata: dict, status: str, trial_days: int = 14
    ) -> dict:
        now = int(time.time())
        period_end = now + 30 * 86400
        subscription = {
            "id": self.new_id("sub"),
            "object": "subscription",
            "customer": customer,
            "status": status,
            "metadata": metadata,
            "start_date": now,
            "trial_end": now + trial_days * 86400 if status == "trialing" else None,
            "cancel_at_period_end": False,
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": self.new_id("si"),
                        "object": "subscription_item",
                        "price": self.prices.get(price_id, {"id": price_id}),
                        "current_period_start": now,
                        "current_period_end": period_end,
                    }
                ],
            },
        }
        self.subscriptions[subscription["id"]] = subscription
        return subscription

    def complete_checkout(self, session_id: str) -> dict:
        """What Stripe does when the customer pays: a subscription (trialing when the session
        asked for a trial, else active and its first period paid), the session completed."""
        with self._lock:
            session = self.sessions[session_id]
            data = session["_params"].get("subscription_data") or {}
            trial_days = int(data.get("trial_period_days") or 0)
            price_id = session["_params"]["line_items"][0]["price"]
            subscription = self.subscription_for(
                customer=session["customer"],
                price_id=price_id,
                metadata=data.get("metadata") or {},
                status="trialing" if trial_days else "active",
                trial_days=trial_days,
            )
            amount = 0 if trial_days else self.prices[price_id]["unit_amount"]
            invoice = {
                "id": self.new_id("in"),
                "object": "invoice",
                "status": "paid",
                "customer": session["customer"],
                "amount_paid": amount,
                "parent": {
                    "type": "subscription_details",
                    "subscription_details": {
                        "subscription": subscription["id"],
                        "metadata": subscription["metadata"],
                    },
                },
                "billing_reason": "subscription_create",
                "lines": {
                    "object": "list",
                    "data": [
                        {
                            "amount": amount,
                            "period": {
                                "start": subscription["start_date"],
                                "end": subscription["items"]["data"][0]["current_period_end"],
                            },
                            "pricing": {
                                "type": "price_details",
                                "price_details": {"price": price_id},
                            },
                        }
                    ],
                },
            }
            self.invoices[invoice["id"]] = invoice
            subscription["latest_invoice"] = invoice["id"]
            session.update(
                status="complete",
                payment_status="no_payment_required" if trial_days else "paid",
                subscription=subscription["id"],
            )
            return subscription

    # --- one-off payments (mode=payment) --------------------------------------------------------

    def _mode_mismatch(self, params: dict):
        """Stripe's refusals of a session whose prices or options do not fit its mode."""
        mode = params.get("mode")
        prices = [self.prices[item["price"]] for item in params.get("line_items") or []]
        if mode == "payment":
            if any(price["recurring"] for price in prices):
                return self._invalid(
                    "You specified `payment` mode but passed a recurring price. Either switch "
                    "to `subscription` mode or use only one-time prices.",
                    "line_items",
                )
            if "subscription_data" in params:
                return self._invalid(
                    "You can not pass `subscription_data` in `payment` mode.", "subscription_data"
                )
        if mode == "subscription":
            if not any(price["recurring"] for price in prices):
                return self._invalid(
                    "You must provide at least one recurring price in `subscription` mode when "
                    "using prices.",
                    "line_items",
                )
            if "payment_intent_data" in params:
                return self._invalid(
                    "You can not pass `payment_intent_data` in `subscription` mode.",
                    "payment_intent_data",
                )
        return None

    def _payment_fields(self, params: dict) -> dict:
        items = params.get("line_items") or []
        total = sum(
            self.prices[item["price"]]["unit_amount"] * int(item.get("quantity") or 1)
            for item in items
        )
        return {
            "amount_subtotal": total,
            "amount_total": total,
            "currency": self.prices[items[0]["price"]]["currency"],
            # Set when the customer confirms the payment (API versions since 2022-08-01).
            "payment_intent": None,
        }

    def complete_payment(self, session_id: str, *, settled: bool = True) -> dict:
        """What Stripe does when the customer pays a `payment` session: the session completes
        with a payment intent; paid at once, or (`settled=False`, a payment method that settles
        later) unpaid until `async_payment_succeed`."""
        with self._lock:
            session = self.sessions[session_id]
            session.update(
                status="complete", payment_status="unpaid", payment_intent=self.new_id("pi")
            )
        if settled:
            return self.async_payment_succeed(session_id)
        return self.session_object(session_id)

    def async_payment_succeed(self, session_id: str) -> dict:
        """The payment of a completed `payment` session arrived: it is paid, with its charge."""
        with self._lock:
            session = self.sessions[session_id]
            intent = session["_params"].get("payment_intent_data") or {}
            charge = {
                "id": self.new_id("ch"),
                "object": "charge",
                "amount": session["amount_total"],
                "amount_captured": session["amount_total"],
                "amount_refunded": 0,
                "captured": True,
                "created": int(time.time()),
                "currency": session["currency"],
                "customer": session["customer"],
                "livemode": False,
                # A charge carries its payment intent's metadata.
                "metadata": dict(intent.get("metadata") or {}),
                "paid": True,
                "payment_intent": session["payment_intent"],
                "refunded": False,
                "status": "succeeded",
            }
            self.charges[charge["id"]] = charge
            session["payment_status"] = "paid"
            return self._public(session)

    def charge_for(self, session_id: str) -> dict:
        intent = self.sessions[session_id]["payment_intent"]
        [charge] = [c for c in self.charges.values() if c["payment_intent"] == intent]
        return dict(charge)

    def refund(self, charge_id: str, amount: int | None = None) -> dict:
        """Refund `amount` (the rest when None) of a charge; the charge as `charge.refunded`
        carries it, `amount_refunded` counting every refund so far."""
        with self._lock:
            charge = self.charges[charge_id]
            left = charge["amount"] - charge["amount_refunded"]
            amount = left if amount is None else amount
            if not 0 < amount <= left:
                raise ValueError(f"Refund amount {amount} is not within the {left} left to refund.")
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            return dict(charge)

    def session_object(self, session_id: str) -> dict:
        """A session as Stripe sends it in events."""
        return self._public(self.sessions[session_id])

    # --- routes -------------------------------------------------------------------------------

    def route(self, method: str, path: str, params: dict):  # noqa: C901 - a router
        parts = path.strip("/").split("/")[1:]  # drop "v1"
        if parts == ["customers"] and method == "POST":
            customer = {
                "id": self.new_id("cus"),
                "object": "customer",
                "email": params.get("email"),
                "name": params.get("name"),
                "metadata": params.get("metadata") or {},
            }
            self.customers[customer["id"]] = customer
            return 200, customer
        if parts[:1] == ["customers"] and len(parts) == 2:
            found = self.customers.get(parts[1])
            return (200, found) if found else self._missing("customer", parts[1])
        if parts == ["checkout", "sessions"] and method == "POST":
            if params.get("line_items", [{}])[0].get("price") not in self.prices:
                return 400, {
                    "error": {
                        "type": "invalid_request_error",
                        "message": "No such price",
                        "param": "line_items",
                    }
                }
            refused = self._mode_mismatch(params)
            if refused:
                return refused
            session_id = self.new_id("cs")
            session = {
                "id": session_id,
                "object": "checkout.session",
                "url": f"{self.base}/pay/{session_id}",
                "mode": params.get("mode"),
                "status": "open",
                "payment_status": "unpaid",
                "customer": params.get("customer"),
                "client_reference_id": params.get("client_reference_id"),
                "metadata": params.get("metadata") or {},
                "subscription": None,
                "_params": params,
            }
            if session["mode"] == "payment":
                session.update(self._payment_fields(params))
            self.sessions[session_id] = session
            return 200, self._public(session)
        if parts[:2] == ["checkout", "sessions"] and len(parts) == 3:
            session = self.sessions.get(parts[2])
            if not session:
                return self._missing("checkout.session", parts[2])
            out = self._public(session)
            expand = params.get("expand") or []
            if "subscription" in expand and out["subscription"]:
                out["subscription"] = dict(self.subscriptions[out["subscription"]])
                invoice_id = out["subscription"].get("latest_invoice")
                if "subscription.latest_invoice" in expand and invoice_id:
                    out["subscription"]["latest_invoice"] = self.invoices[invoice_id]
            return 200, out
        if parts[:1] == ["subscriptions"] and len(parts) == 2:
            found = self.subscriptions.get(parts[1])
            return (200, found) if found else self._missing("subscription", parts[1])
        if parts == ["billing_portal", "configurations"] and method == "GET":
            data = [c for c in self.portal_configurations.values() if c["active"]]
            return 200, self._list("/v1/billing_portal/configurations", data)
        if parts == ["billing_portal", "configurations"] and method == "POST":
            configuration = {
                "id": self.new_id("bpc"),
                "object": "billing_portal.configuration",
                "active": True,
                "is_default": False,
                "features": params.get("features"),
                "metadata": params.get("metadata") or {},
            }
            self.portal_configurations[configuration["id"]] = configuration
            return 200, configuration
        if parts[:2] == ["billing_portal", "configurations"] and len(parts) == 3:
            configuration = self.portal_configurations.get(parts[2])
            if configuration is None:
                return self._missing("billing_portal.configuration", parts[2])
            if method == "POST":
                configuration.update({k: v for k, v in params.items() if k != "expand"})
            return 200, configuration
        if parts == ["billing_portal", "sessions"] and method == "POST":
            if params.get("customer") not in self.customers:
                return self._missing("customer", params.get("customer", ""))
            portal_id = self.new_id("bps")
            session = {
                "id": portal_id,
                "object": "billing_portal.session",
                "customer": params["customer"],
                "return_url": params.get("return_url"),
                "configuration": params.get("configuration"),
                "url": f"{self.base}/portal/{portal_id}",
            }
            self.portal_sessions[session["id"]] = session
            return 200, session
        if parts == ["products"] and method == "POST":
            product_id = params.get("id") or self.new_id("prod")
            if product_id in self.products:
                return 400, {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "resource_already_exists",
                        "message": "Product already exists.",
                    }
                }
            product = {
                "id": product_id,
                "object": "product",
                "name": params.get("name"),
                "metadata": params.get("metadata") or {},
                "active": True,
            }
            self.products[product_id] = product
            return 200, product
        if parts[:1] == ["products"] and len(parts) == 2:
            found = self.products.get(parts[1])
            return (200, found) if found else self._missing("product", parts[1])
        if parts == ["prices"] and method == "GET":
            keys = params.get("lookup_keys") or []
            data = [p for p in self.prices.values() if p["lookup_key"] in keys and p["active"]]
            return 200, self._list("/v1/prices", data)
        if parts == ["prices"] and method == "POST":
            if params.get("transfer_lookup_key") == "true":
                for other in self.prices.values():
                    if other["lookup_key"] == params.get("lookup_key"):
                        other["lookup_key"] = None
            price = self.add_price(
                lookup_key=params.get("lookup_key", ""),
                unit_amount=int(params.get("unit_amount", 0)),
                product=params.get("product", ""),
                recurring=params.get("recurring"),
            )
            price["metadata"] = params.get("metadata") or {}
            return 200, price
        if parts[:1] == ["prices"] and len(parts) == 2:
            found = self.prices.get(parts[1])
            return (200, found) if found else self._missing("price", parts[1])
        if parts == ["webhook_endpoints"] and method == "GET":
            return 200, self._list("/v1/webhook_endpoints", list(self.webhook_endpoints.values()))
        if parts == ["webhook_endpoints"] and method == "POST":
            endpoint = {
                "id": self.new_id("we"),
                "object": "webhook_endpoint",
                "url": params.get("url"),
                "enabled_events": params.get("enabled_events"),
                "status": "enabled",
            }
            self.webhook_endpoints[endpoint["id"]] = endpoint
            # Only the creation response carries the secret, as at Stripe.
            return 200, {**endpoint, "secret": f"whsec_created{next(self._ids)}"}
        return unrecognized(method, path)

    @staticmethod
    def _public(obj: dict) -> dict:
        return {k: v for k, v in obj.items() if not k.startswith("_")}
