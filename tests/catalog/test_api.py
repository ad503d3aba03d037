import uuid

import pytest

from genfans.catalog.models import ReferenceModel
from tests.catalog.factories import make_reference_model
from tests.factories import make_api_key

URL = "/api/reference-models"


@pytest.fixture
def catalog(db):
    return [
        make_reference_model(
            slug="ava",
            name="Ava Sterling",
            category="fashion",
            sort_order=10,
            attributes={"gender": "woman", "look": "platinum hair", "style_tags": ["runway"]},
        ),
        make_reference_model(
            slug="dante",
            name="Dante Reyes",
            category="fitness",
            sort_order=20,
            description="Strength training and gym culture.",
            attributes={"gender": "man", "style_tags": ["powerlifting", "gym"]},
        ),
        make_reference_model(
            slug="freya",
            name="Freya Lind",
            category="fitness",
            sort_order=30,
            attributes={"gender": "woman", "style_tags": ["yoga"]},
        ),
        make_reference_model(slug="chloe", name="Chloé Laurent", category="beauty", sort_order=40),
        make_reference_model(
            slug="hidden", name="Hidden", category="fashion", sort_order=5, is_active=False
        ),
    ]


def slugs(response):
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["items"]]


def test_list_in_sort_order_without_inactive(owner_client, catalog):
    response = owner_client.get(URL)
    assert slugs(response) == ["ava", "dante", "freya", "chloe"]
    item = response.json()["items"][0]
    assert item["attributes"]["style_tags"] == ["runway"]
    assert item["attributes"]["gender"] == "woman"
    assert item["id"] == str(catalog[0].id)
    assert item["thumbnail_url"] is None
    assert response.json()["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"category": "fitness"}, ["dante", "freya"]),
        ({"category": "beauty"}, ["chloe"]),
        ({"category": "travel"}, []),
        ({"q": "gym"}, ["dante"]),
        ({"q": "STRENGTH"}, ["dante"]),
        ({"q": "woman"}, ["ava", "freya", "chloe"]),
        ({"q": "woman yoga"}, ["freya"]),
        ({"q": "platinum"}, ["ava"]),
        ({"q": "woman", "category": "fitness"}, ["freya"]),
        ({"q": "nobody-matches"}, []),
        ({"q": "100%"}, []),
        ({"q": ""}, ["ava", "dante", "freya", "chloe"]),
    ],
)
def test_filters(owner_client, catalog, query, expected):
    assert slugs(owner_client.get(URL, query)) == expected


def test_unknown_category_is_a_validation_error(owner_client, catalog):
    response = owner_client.get(URL, {"category": "nonsense"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_pagination_walks_every_item_once(owner_client, db):
    for n in range(7):
        make_reference_model(slug=f"p{n}", sort_order=10)  # ties: ordered by id within
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = owner_client.get(URL, params).json()
        seen += [item["slug"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert sorted(seen) == [f"p{n}" for n in range(7)]
    assert len(seen) == len(set(seen))


def test_pagination_respects_filters(owner_client, catalog):
    body = owner_client.get(URL, {"category": "fitness", "limit": 1}).json()
    assert [i["slug"] for i in body["items"]] == ["dante"]
    body = owner_client.get(
        URL, {"category": "fitness", "limit": 1, "cursor": body["next_cursor"]}
    ).json()
    assert [i["slug"] for i in body["items"]] == ["freya"]
    assert body["next_cursor"] is None


@pytest.mark.parametrize("cursor", ["garbage", "WzEsMl0", "eyJhIjoxfQ", "WyJ4IiwgIm5vIl0"])
def test_bad_cursor_is_a_validation_error(owner_client, catalog, cursor):
    response = owner_client.get(URL, {"cursor": cursor})
    assert response.status_code == 400


@pytest.mark.parametrize("limit", [0, 101])
def test_limit_is_bounded(owner_client, catalog, limit):
    assert owner_client.get(URL, {"limit": limit}).status_code == 400


def test_detail_by_id_and_slug(owner_client, catalog):
    model = catalog[1]
    body = owner_client.get(f"{URL}/{model.id}").json()
    assert body["slug"] == "dante"
    assert body["base_prompt"] == model.base_prompt
    assert owner_client.get(f"{URL}/dante").json()["id"] == str(model.id)


@pytest.mark.parametrize("ident", ["hidden", str(uuid.uuid4()), "no-such-model"])
def test_detail_not_found(owner_client, catalog, ident):
    if ident == "hidden":
        ident = str(ReferenceModel.objects.get(slug="hidden").id)
    response = owner_client.get(f"{URL}/{ident}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_thumbnail_url_is_signed_and_absolute(owner_client, client, catalog, settings):
    from django.core.files.base import ContentFile

    model = catalog[0]
    model.thumbnail.save("ava.jpg", ContentFile(b"jpeg"), save=True)
    url = owner_client.get(f"{URL}/{model.id}").json()["thumbnail_url"]
    assert url.startswith(settings.BASE_URL + "/media/catalog/thumbnails/ava-")
    assert "sig=" in url and "exp=" in url
    assert client.get(url.removeprefix(settings.BASE_URL)).status_code == 200


def test_api_key_can_read_the_catalog(client, team, catalog):
    key = make_api_key(team=team)
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert len(slugs(response)) == 4


def test_anonymous_is_refused(client, catalog):
    assert client.get(URL).status_code == 401
    assert client.get(f"{URL}/{catalog[0].id}").status_code == 401


def test_odd_attributes_entered_by_staff_never_break_the_api(owner_client, db):
    make_reference_model(slug="odd", attributes={"gender": 5, "style_tags": "solo", "x": [1]})
    item = owner_client.get(URL).json()["items"][0]
    assert item["attributes"] == {
        "gender": "5",
        "age_range": None,
        "look": None,
        "hair": None,
        "style_tags": ["solo"],
    }


@pytest.mark.parametrize(
    "attributes",
    [[], {"gender": 5}, {"style_tags": "solo"}, {"style_tags": [1, 2]}],
)
def test_admin_validation_of_attributes(db, attributes):
    from django.core.exceptions import ValidationError

    model = make_reference_model()
    model.attributes = attributes
    with pytest.raises(ValidationError):
        model.full_clean()


def test_staff_thumbnail_names_are_sanitised(db):
    from genfans.catalog.models import thumbnail_upload_to

    model = make_reference_model(slug="ava")
    assert thumbnail_upload_to(model, "photo.PNG").endswith(".png")
    assert thumbnail_upload_to(model, "evil.j p/g").endswith(".jpg")
    assert thumbnail_upload_to(model, "noext").startswith("catalog/thumbnails/ava-")
