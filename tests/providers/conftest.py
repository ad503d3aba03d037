import pytest

from tests.providers.fake_fal import serving_fal
from tests.providers.fake_higgsfield import serving_higgsfield


@pytest.fixture
def fake_fal(settings):
    with serving_fal(settings) as fake:
        yield fake


@pytest.fixture
def fake_higgsfield(settings):
    with serving_higgsfield(settings) as fake:
        yield fake
