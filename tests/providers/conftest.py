import pytest

from tests.providers.fakes import FakeFal, FakeHiggsfield


@pytest.fixture
def fake_fal(settings):
    fake = FakeFal().start()
    settings.FAL_KEY = "test-fal-key"
    settings.FAL_QUEUE_URL = fake.url
    settings.FAL_JWKS_URL = f"{fake.url}/.well-known/jwks.json"
    yield fake
    fake.stop()


@pytest.fixture
def fake_higgsfield(settings):
    fake = FakeHiggsfield().start()
    settings.HIGGSFIELD_API_KEY = "hf-key"
    settings.HIGGSFIELD_API_SECRET = "hf-secret"
    settings.HIGGSFIELD_BASE_URL = fake.url
    yield fake
    fake.stop()
