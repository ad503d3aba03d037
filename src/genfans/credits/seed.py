from genfans.credits.calculator import DEFAULT_RULES
from genfans.credits.models import PricingRule


def seed_pricing_rules() -> int:
    """Create the default pricing rules that are missing; prices an admin edited are kept."""
    for operation, parameters in DEFAULT_RULES.items():
        PricingRule.objects.get_or_create(operation=operation, defaults={"parameters": parameters})
    return len(DEFAULT_RULES)
