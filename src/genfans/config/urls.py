from django.contrib import admin
from django.urls import include, path

from genfans.api.api import api
from genfans.web import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("genfans.web.urls")),
]
