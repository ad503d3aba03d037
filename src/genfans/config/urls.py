from django.conf import settings
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

# The benchmark floors (benchmarks/settings.py turns them on; see genfans.core.bench).
if getattr(settings, "BENCH_FLOOR", False):
    from genfans.core import bench

    urlpatterns[:0] = [
        path("bench/floor/jobs/<uuid:job_id>", bench.job_floor),
        path("bench/floor/generate", bench.generate_floor),
    ]
