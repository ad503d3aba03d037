NAV = [
    ("dashboard", "Dashboard", "/dashboard/"),
    ("catalog", "Catalog", "/dashboard/catalog"),
    ("billing", "Billing", "/dashboard/billing"),
    ("credits", "Credits", "/dashboard/credits"),
]


def dashboard(request):
    """The dashboard shell's navigation; each app adds its entry to NAV."""
    return {"nav": NAV, "current_team": getattr(request, "team", None)}
