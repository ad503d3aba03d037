from tests.studio.conftest import engine, reference_model  # noqa: F401 - the job engine fixtures
