import uuid

import pytest

from tests.catalog.factories import make_reference_model

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "catalog-results"}


@pytest.fixture
def catalog(db):
    return [
        make_reference_model(slug="ava", name="Ava Sterling", category="fashion"),
        make_reference_model(
            slug="dante", name="Dante Reyes", category="fitness", description="Strength training."
        ),
        make_reference_model(
            slug="freya", name="Freya Lind", category="fitness", description="Yoga and mobility."
        ),
    ]


def test_catalog_page_lists_models(owner_client, catalog):
    response = owner_client.get("/dashboard/catalog")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="catalog-card"') == 3
    assert "<html" in html and 'href="/dashboard/catalog"' in html  # nav entry


def test_category_filter_answers_htmx_with_the_fragment(owner_client, catalog):
    response = owner_client.get("/dashboard/catalog", {"category": "fitness"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert html.count('data-testid="catalog-card"') == 2
    assert "Ava Sterling" not in html
    assert 'class="chip active" data-category="fitness"' in html


def test_search(owner_client, catalog):
    html = owner_client.get("/dashboard/catalog", {"q": "yoga"}, **HTMX).content.decode()
    assert html.count('data-testid="catalog-card"') == 1
    assert "Freya Lind" in html
    empty = owner_client.get("/dashboard/catalog", {"q": "zzz"}).content.decode()
    assert "No reference model matches" in empty


def test_unknown_category_shows_everything(owner_client, catalog):
    html = owner_client.get("/dashboard/catalog", {"category": "bogus"}).content.decode()
    assert html.count('data-testid="catalog-card"') == 3


def test_pagination(owner_client, db):
    for n in range(30):
        make_reference_model(slug=f"m{n:02}", name=f"Model {n:02}", sort_order=n)
    first = owner_client.get("/dashboard/catalog").content.decode()
    assert first.count('data-testid="catalog-card"') == 24
    assert "Page 1 of 2" in first
    second = owner_client.get("/dashboard/catalog", {"page": 2}).content.decode()
    assert second.count('data-testid="catalog-card"') == 6
    assert "Model 29" in second and "Model 00" not in second


def test_detail_page(owner_client, catalog):
    model = catalog[1]
    response = owner_client.get(f"/dashboard/catalog/{model.id}")
    assert response.status_code == 200
    html = response.content.decode()
    assert model.base_prompt in html
    assert f'href="/dashboard/models/new?reference={model.id}"' in html
    assert "Freya Lind" in html  # more in the same category


def test_detail_of_unknown_or_inactive_model_is_404(owner_client, catalog):
    hidden = make_reference_model(slug="hidden", is_active=False)
    assert owner_client.get(f"/dashboard/catalog/{uuid.uuid4()}").status_code == 404
    assert owner_client.get(f"/dashboard/catalog/{hidden.id}").status_code == 404


def test_pages_need_sign_in(client, catalog):
    response = client.get("/dashboard/catalog")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in")
    assert client.get(f"/dashboard/catalog/{catalog[0].id}").status_code == 302


def test_detail_shows_sample_images_drawn_on_request(owner_client, catalog):
    import io

    from PIL import Image

    model = catalog[0]
    html = owner_client.get(f"/dashboard/catalog/{model.id}").content.decode()
    assert html.count('data-testid="sample-image"') == 2
    first = owner_client.get(f"/dashboard/catalog/{model.id}/samples/1.jpg")
    assert first.status_code == 200
    assert first["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(first.content)).size == (384, 512)
    second = owner_client.get(f"/dashboard/catalog/{model.id}/samples/2.jpg").content
    assert second != first.content
    assert owner_client.get(f"/dashboard/catalog/{model.id}/samples/1.jpg").content == (
        first.content
    )  # deterministic
    assert owner_client.get(f"/dashboard/catalog/{model.id}/samples/3.jpg").status_code == 404
    assert owner_client.get(f"/dashboard/catalog/{uuid.uuid4()}/samples/1.jpg").status_code == 404
