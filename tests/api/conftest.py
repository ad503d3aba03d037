import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from tests.studio.conftest import engine, reference_model  # noqa: F401 - the job engine fixtures


@pytest.fixture
def wsgi_app_calls():
    """Calling the WSGI app directly fires request signals that would close the test's
    database connection mid-transaction; Django's own test client disconnects them too."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
