"""The app's URLs plus the benchmark floors (benchmarks/floors.py), for `make bench` only."""

from benchmarks import floors
from django.urls import path

from genfans.config.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    path("bench/floor/jobs/<uuid:job_id>", floors.job_floor),
    path("bench/floor/generate", floors.generate_floor),
    *app_urlpatterns,
]
