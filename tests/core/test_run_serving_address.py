"""The base URL `genfans run` gives itself and its worker when BASE_URL is unset."""

import pytest

from genfans.core.management.commands.run import serving_address


@pytest.mark.parametrize(
    ("argv", "base_url"),
    [
        ([], "http://127.0.0.1:8000"),
        (["--port", "8101"], "http://127.0.0.1:8101"),
        (["--host=localhost", "--port=9000", "--no-worker"], "http://localhost:9000"),
        # A wildcard bind is opened on loopback; an IPv6 address is bracketed.
        (["--host", "0.0.0.0", "--port", "8101"], "http://127.0.0.1:8101"),
        (["--host", "::", "--port", "8101"], "http://[::1]:8101"),
        (["--host", "fe80::1", "--port", "8101"], "http://[fe80::1]:8101"),
    ],
)
def test_serving_address(argv, base_url):
    assert serving_address(argv) == base_url
