from genfans.api import accounts, errors, uploads
from genfans.api import catalog as catalog_api
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
api.add_router("", uploads.router)
api.add_router("", catalog_api.router)
