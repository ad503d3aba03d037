"""The settings the test suite runs with (pyproject's DJANGO_SETTINGS_MODULE): the app's own,
plus the two switches that only make tests faster and the fakes' download hosts. The processes
tests start as an operator would (tests/production) get the app's settings, never these."""

from genfans.config.settings import *  # noqa: F403
from genfans.config.settings import CACHES, PASSWORD_HASHERS

# Hashing with bcrypt on every sign-up would make the suite minutes slower.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
# Each test starts with an empty cache (tests/conftest.py clears it) in its own process.
CACHES = {**CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The fake providers (tests/providers/fakes.py) serve their output files from this machine.
# The local fakes: their APIs on 127.0.0.1, the Higgsfield fake's results on 127.0.0.2.
PROVIDER_DOWNLOAD_ALLOWED_HOSTS = ["127.0.0.1", "127.0.0.2", "localhost"]
