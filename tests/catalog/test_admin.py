import pytest

from genfans.catalog.models import ReferenceModel
from tests.catalog.factories import make_reference_model


@pytest.fixture
def staff_client(client, owner):
    owner.is_staff = owner.is_superuser = True
    owner.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(owner)
    return client


def test_catalog_admin_redraw_and_staff_upload(staff_client, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.storage.images import image_bytes

    model = make_reference_model(slug="ava", name="Ava")
    response = staff_client.post(
        "/admin/catalog/referencemodel/",
        {"action": "redraw_thumbnails", "_selected_action": [str(model.pk)]},
    )
    assert response.status_code == 302
    model.refresh_from_db()
    assert model.thumbnail_generated and model.thumbnail.name.endswith("-generated-v1.jpg")

    photo = SimpleUploadedFile("real.png", image_bytes("PNG"), content_type="image/png")
    data = {
        "name": model.name,
        "slug": model.slug,
        "category": model.category,
        "is_active": "on",
        "sort_order": model.sort_order,
        "description": model.description,
        "base_prompt": model.base_prompt,
        "attributes": '{"gender": "woman", "style_tags": ["runway"]}',
        "thumbnail": photo,
    }
    response = staff_client.post(f"/admin/catalog/referencemodel/{model.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    model = ReferenceModel.objects.get(pk=model.pk)
    assert not model.thumbnail_generated
    assert model.thumbnail.name.startswith("catalog/thumbnails/ava-")
    assert model.thumbnail.name.endswith(".png")


def test_catalog_list_previews_thumbnails_and_marks_missing_ones(staff_client, db):
    with_thumbnail = make_reference_model(slug="ava", name="Ava")
    staff_client.post(
        "/admin/catalog/referencemodel/",
        {"action": "redraw_thumbnails", "_selected_action": [str(with_thumbnail.pk)]},
    )
    make_reference_model(slug="bo", name="Bo")
    with_thumbnail.refresh_from_db()

    page = staff_client.get("/admin/catalog/referencemodel/").content.decode()

    assert page.count('style="height:64px;border-radius:6px"') == 1
    assert f'<img src="/media/{with_thumbnail.thumbnail.name}?exp=' in page
    assert page.count('<th class="field-preview">') == 2
    assert ">—</a></th>" in page
