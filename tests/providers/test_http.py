"""The HTTP rules every REST adapter shares, against a provider's possible answers: which
failures may be retried, which submits may have started (never sent again), what a cancel
answer means, and which download addresses are refused before any request."""

import socket

import httpx
import pytest

from genfans.providers import http
from genfans.providers.base import OUTCOME_UNKNOWN, ProviderError


def _client(answer) -> httpx.Client:
    """A client whose every request is answered by `answer(request)` (a response, or raises)."""
    return httpx.Client(transport=httpx.MockTransport(answer))


def _raising(error: type[Exception]):
    def answer(request):
        raise error("simulated", request=request)

    return answer


def _error(call) -> ProviderError:
    with pytest.raises(ProviderError) as raised:
        call()
    return raised.value


# --- reads --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "code"),
    [(httpx.ReadTimeout, "provider_timeout"), (httpx.ConnectError, "provider_unreachable")],
)
def test_a_status_read_that_fails_in_transit_may_be_retried(failure, code):
    error = _error(
        lambda: http.request_json(_client(_raising(failure)), "GET", "https://x/", what="s")
    )
    assert (error.retryable, error.code) == (True, code)


def test_an_answer_that_is_not_json_may_be_retried():
    client = _client(lambda request: httpx.Response(200, text="<html>busy</html>"))
    error = _error(lambda: http.request_json(client, "GET", "https://x/", what="status"))
    assert error.retryable and "invalid JSON" in str(error)


# --- submits ------------------------------------------------------------------------------


def _submit(client):
    return http.submit(client, "https://x/app", params={}, body={}, what="submit")


@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_a_submit_that_never_left_may_be_sent_again(failure):
    error = _error(lambda: _submit(_client(_raising(failure))))
    assert (error.retryable, error.code) == (True, "provider_unreachable")


@pytest.mark.parametrize("failure", [httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError])
def test_a_submit_whose_answer_was_lost_is_outcome_unknown(failure):
    error = _error(lambda: _submit(_client(_raising(failure))))
    assert (error.retryable, error.code) == (False, OUTCOME_UNKNOWN)


@pytest.mark.parametrize("status", [502, 504])
def test_a_submit_a_gateway_gave_up_on_is_outcome_unknown(status):
    error = _error(lambda: _submit(_client(lambda request: httpx.Response(status))))
    assert (error.retryable, error.code) == (False, OUTCOME_UNKNOWN)


@pytest.mark.parametrize(("status", "retryable"), [(503, True), (429, True), (422, False)])
def test_a_submit_the_provider_refused_did_not_start(status, retryable):
    error = _error(lambda: _submit(_client(lambda request: httpx.Response(status, json={}))))
    assert (error.retryable, error.code) == (retryable, "provider_http_error")


def test_an_accepted_submit_without_a_request_id_is_an_error_not_a_job():
    error = _error(lambda: _submit(_client(lambda request: httpx.Response(200, json={}))))
    assert not error.retryable and "no request_id" in str(error)


# --- cancels ------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "stopped"), [(202, True), (200, True), (400, False)])
def test_a_cancel_answer_says_whether_the_request_was_stopped(status, stopped):
    client = _client(lambda request: httpx.Response(status, json={}))
    assert http.cancel(client, "PUT", "https://x/cancel", what="cancel") is stopped


@pytest.mark.parametrize(("status", "retryable"), [(404, False), (500, True)])
def test_any_other_cancel_answer_is_an_error(status, retryable):
    client = _client(lambda request: httpx.Response(status, json={}))
    error = _error(lambda: http.cancel(client, "PUT", "https://x/cancel", what="cancel"))
    assert error.retryable is retryable


# --- download addresses -------------------------------------------------------------------


@pytest.mark.parametrize("url", ["https://[::1/a.jpg", "https:///a.jpg"])
def test_a_malformed_download_url_is_refused_before_any_request(url):
    error = _error(lambda: http.download(url))
    assert error.code == "download_refused"


def test_an_allowlisted_host_still_takes_only_http_or_https(settings):
    settings.PROVIDER_DOWNLOAD_ALLOWED_HOSTS = ["files.local"]
    assert _error(lambda: http.download("ftp://files.local/a.jpg")).code == "download_refused"


def test_a_name_that_does_not_resolve_may_be_retried(monkeypatch):
    def unresolvable(*args, **kwargs):
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unresolvable)
    error = _error(lambda: http.download("https://cdn.example.invalid/a.jpg"))
    assert (error.retryable, error.code) == (True, "download_failed")


def test_a_name_with_no_address_is_refused(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: [])
    assert _error(lambda: http.download("https://cdn.example.com/a.jpg")).code == "download_refused"


def test_a_redirect_to_a_malformed_location_is_not_followed(monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, **kwargs: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))
        ],
    )
    monkeypatch.setattr(
        http,
        "_download_client",
        _client(lambda request: httpx.Response(302, headers={"Location": "https://[::1"})),
    )
    assert "Invalid URL in location" in str(
        _error(lambda: http.download("https://cdn.example.com/a.jpg"))
    )


def test_a_download_that_times_out_may_be_retried(monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, **kwargs: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))
        ],
    )
    monkeypatch.setattr(http, "_download_client", _client(_raising(httpx.ReadTimeout)))
    error = _error(lambda: http.download("https://cdn.example.com/a.jpg"))
    assert error.retryable and "timed out" in str(error)
