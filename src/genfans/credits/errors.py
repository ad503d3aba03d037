from genfans.core.errors import Conflict, DomainError, ValidationError


class InsufficientCredits(DomainError):
    """Not enough available credits; details: `needed`, `available`. HTTP 402 (api/errors.py)."""

    code = "insufficient_credits"
    default_message = "Not enough credits for this. Upgrade your plan or wait for your renewal."


class SpendLimitReached(DomainError):
    """The job would take a member or an API key past the monthly cap an owner set; details:
    `cap`, `spent` (this billing period), `needed`. HTTP 402 (api/errors.py)."""

    code = "spend_limit_reached"
    default_message = (
        "This would pass the monthly spend limit a team owner set. Ask an owner to raise it."
    )


class InvalidPricingParams(ValidationError):
    code = "invalid_params"
    default_message = "These parameters cannot be priced."


class OperationUnavailable(ValidationError):
    code = "operation_unavailable"
    default_message = "This operation is not available right now."


class PricingNotConfigured(Conflict):
    """The operation has no pricing rule: the database was never seeded (or the row was
    deleted). Never priced from built-in defaults, so what is shown and reserved is always
    what the operator set."""

    code = "pricing_not_configured"
    default_message = "This operation has no price yet: an operator must run `genfans seed`."
