from genfans.api import accounts, api_keys, errors, generate, jobs, spend, teams, uploads, webhooks
from genfans.api import billing as billing_api
from genfans.api import catalog as catalog_api
from genfans.api import credits as credits_api
from genfans.api import media as media_api
from genfans.api import models as models_api
from genfans.api.openapi import GenFansAPI

api = GenFansAPI(
    title="GenFans API",
    version="1.0",
    description="Team-scoped API: authenticate with the session cookie or `Authorization: "
    'Bearer <team API key>`. Errors are `{"error": {"code", "message"}}`.',
    urls_namespace="api",
)
errors.install(api)

api.add_router("", accounts.router)
api.add_router("", teams.router)
api.add_router("", api_keys.router)
api.add_router("", spend.router)
api.add_router("", uploads.router)
api.add_router("", catalog_api.router)
api.add_router("", billing_api.router)
api.add_router("", credits_api.router)
api.add_router("", generate.router)
api.add_router("", jobs.router)
api.add_router("", webhooks.router)
api.add_router("", models_api.router)
api.add_router("", media_api.router)
