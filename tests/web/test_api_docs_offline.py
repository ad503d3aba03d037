"""/api/docs works on a machine without network: every script and stylesheet the Swagger UI
page loads is one of our static files, and each of those is served."""

import re

from django.test import override_settings


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"', html)


def test_api_docs_load_only_static_files_we_serve(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    urls = _asset_urls(response.content.decode())
    assert {"/static/ninja/swagger-ui-bundle.js", "/static/ninja/swagger-ui.css"} <= set(urls)
    for url in urls:
        assert url.startswith("/static/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert b"".join(asset.streaming_content), url


@override_settings(DEBUG=False)
def test_api_docs_load_only_static_files_with_debug_off(client, db):
    urls = _asset_urls(client.get("/api/docs").content.decode())
    assert urls and all(url.startswith("/static/") for url in urls), urls
