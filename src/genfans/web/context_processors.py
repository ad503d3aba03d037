NAV = [
    ("dashboard", "Dashboard", "/dashboard/"),
    ("catalog", "Catalog", "/dashboard/catalog"),
    ("generate", "Generate", "/dashboard/generate"),
    ("models", "My models", "/dashboard/models"),
    ("video", "Video", "/dashboard/video"),
    ("face_swap", "Face swap", "/dashboard/face-swap"),
    ("gallery", "Gallery", "/dashboard/gallery"),
    ("jobs", "Jobs", "/dashboard/jobs"),
    ("billing", "Billing", "/dashboard/billing"),
    ("credits", "Credits", "/dashboard/credits"),
    ("team", "Team", "/dashboard/team"),
    ("activity", "Activity", "/dashboard/activity"),
    ("api_keys", "API keys", "/dashboard/api-keys"),
    ("general", "General", "/dashboard/general"),
    ("security", "Security", "/dashboard/security"),
]


def dashboard(request):
    """The dashboard shell's navigation; each app adds its entry to NAV."""
    return {"nav": NAV, "current_team": getattr(request, "team", None)}
