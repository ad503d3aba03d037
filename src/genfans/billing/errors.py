from genfans.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationError


class WebhookSignatureInvalid(ValidationError):
    code = "invalid_signature"
    default_message = "The Stripe signature is missing or does not match."


class BillingNotConfigured(Conflict):
    code = "billing_not_configured"
    default_message = "Billing is not configured on this server (no Stripe key)."


class DevCheckoutDisabled(PermissionDenied):
    code = "dev_checkout_disabled"
    default_message = (
        "The development checkout only works with DEBUG on and no Stripe key configured."
    )


class PlanNotPurchasable(ValidationError):
    code = "plan_not_purchasable"
    default_message = "That plan cannot be bought."


class CheckoutSessionInvalid(NotFound):
    code = "checkout_session_invalid"
    default_message = "That checkout session does not belong to your team."


class PackNotFound(NotFound):
    code = "pack_not_found"
    default_message = "No such credit pack."


class PackNotPurchasable(Conflict):
    """The pack exists but has no Stripe price yet: the server is not set up, not the caller."""

    code = "pack_not_purchasable"
    default_message = "That credit pack cannot be bought yet."


class PackPurchaseInvalid(ValidationError):
    """A pack's Stripe session or charge that cannot be applied; nothing is changed."""

    code = "pack_purchase_invalid"
    default_message = "That credit pack payment does not match its purchase."


class PackPurchaseUnknown(NotFound):
    code = "pack_purchase_unknown"
    default_message = "No credit pack purchase matches that payment."


class StripeUnavailable(DomainError):
    """Stripe answered with an error or could not be reached; the user may retry."""

    code = "stripe_unavailable"
    default_message = "Stripe could not be reached. Please try again in a moment."


class PlanNotFound(NotFound):
    code = "plan_not_found"
    default_message = "No such plan."


class MalformedEvent(ValidationError):
    code = "malformed_event"
    default_message = "The event is signed but not in a shape we can read; it was stored."


class PlanFeatureUnavailable(PermissionDenied):
    code = "plan_feature_unavailable"
    default_message = "Your plan does not include that."
