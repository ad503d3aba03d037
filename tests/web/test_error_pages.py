"""With DEBUG off an unknown address answers our 404 page and a failing view our 500 page, both
in the product's look; 500 renders with no request and no database. Every page links the
favicon, and /favicon.ico answers it."""

import pytest
from django.template.loader import render_to_string
from django.test import Client, override_settings
from django.urls import include, path


def _boom(request):
    raise RuntimeError("a view that fails")


# This module is the URLconf of the 500 test: the app's pages plus one that fails.
urlpatterns = [path("boom", _boom), path("", include("genfans.config.urls"))]


@override_settings(DEBUG=False)
def test_an_unknown_page_answers_our_404(client, db):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert 'class="brand"' in html and "/static/genfans/app.css" in html
    assert "/static/genfans/favicon.svg" in html


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_a_failing_view_answers_our_500(db):
    response = Client(raise_request_exception=False).get("/boom")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert 'class="brand"' in html and "/static/genfans/app.css" in html
    assert "a view that fails" not in html and "Traceback" not in html


def test_the_500_page_renders_without_a_request_or_database():
    # No `db` fixture: pytest-django refuses any query, so this fails if the page makes one.
    html = render_to_string("500.html")
    assert "Something went wrong" in html and "Error 500" in html


@pytest.mark.parametrize("url", ["/", "/sign-in"])
def test_pages_link_the_favicon(client, db, url):
    html = client.get(url).content.decode()
    assert '<link rel="icon" href="/static/genfans/favicon.svg" type="image/svg+xml">' in html


def test_favicon_ico_answers_the_svg_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/genfans/favicon.svg"
    icon = client.get(response["Location"])
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml"
    assert b"".join(icon.streaming_content).startswith(b"<svg")
