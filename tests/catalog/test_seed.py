import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image

from genfans.catalog.models import ReferenceModel
from genfans.catalog.seed import seed_reference_models, thumbnail_key
from genfans.catalog.seed_data import PERSONAS


@pytest.fixture
def quick_thumbnails(monkeypatch):
    """Tests about rows, not pictures: a one-pixel stand-in keeps them fast."""
    monkeypatch.setattr("genfans.catalog.seed.thumbnail_render", lambda *, slug, **_: slug.encode())


def snapshot():
    return sorted(
        ReferenceModel.objects.values_list(
            "id", "slug", "name", "category", "base_prompt", "sort_order", "thumbnail", "is_active"
        )
    )


def test_seed_loads_at_least_50_distinct_models_in_at_least_4_categories(db):
    assert seed_reference_models() == len(PERSONAS)
    models = list(ReferenceModel.objects.all())
    assert len(models) >= 50
    assert len({m.category for m in models}) >= 4
    assert {"fashion", "fitness", "beauty", "lifestyle"} <= {m.category for m in models}
    assert len({m.slug for m in models}) == len(models)
    assert len({m.name for m in models}) == len(models)
    assert len({m.base_prompt for m in models}) == len(models)
    for model in models:
        assert model.is_active
        assert model.description and model.base_prompt
        assert {"gender", "age_range", "look", "style_tags"} <= set(model.attributes)
        assert model.thumbnail_generated
        assert model.thumbnail.name == thumbnail_key(model.slug)
    thumbnails = set()
    for model in models:
        with default_storage.open(model.thumbnail.name) as handle:
            data = handle.read()
        image = Image.open(io.BytesIO(data))
        assert (image.format, image.size) == ("JPEG", (384, 512))
        thumbnails.add(data)
    assert len(thumbnails) == len(models)  # every persona has its own picture


def test_seed_twice_leaves_the_same_rows(db, quick_thumbnails):
    seed_reference_models()
    first = snapshot()
    files = {
        m.thumbnail.name: default_storage.size(m.thumbnail.name)
        for m in ReferenceModel.objects.all()
    }
    seed_reference_models()
    assert snapshot() == first
    assert ReferenceModel.objects.count() == len(PERSONAS)
    assert {
        m.thumbnail.name: default_storage.size(m.thumbnail.name)
        for m in ReferenceModel.objects.all()
    } == files


def test_seed_command_runs_every_seeder_idempotently(db, quick_thumbnails):
    out = io.StringIO()
    call_command("seed", stdout=out)
    call_command("seed", stdout=out)
    assert f"seeded reference models: {len(PERSONAS)}" in out.getvalue()
    assert ReferenceModel.objects.count() == len(PERSONAS)


def test_reseed_updates_edited_rows_and_keeps_staff_choices(db, quick_thumbnails):
    seed_reference_models()
    model = ReferenceModel.objects.get(slug="ava-sterling")
    ReferenceModel.objects.filter(pk=model.pk).update(name="Changed", is_active=False)
    seed_reference_models()
    model.refresh_from_db()
    assert model.name == "Ava Sterling"
    assert model.is_active is False  # hiding a persona is staff's call


def test_reseed_never_replaces_a_staff_thumbnail(db, quick_thumbnails):
    seed_reference_models()
    model = ReferenceModel.objects.get(slug="ava-sterling")
    model.thumbnail.save("real.jpg", io.BytesIO(b"real photo"), save=False)
    model.thumbnail_generated = False
    model.save()
    staff_name = model.thumbnail.name
    seed_reference_models()
    model.refresh_from_db()
    assert model.thumbnail.name == staff_name
    assert not model.thumbnail_generated


def test_reseed_redraws_a_missing_generated_thumbnail(db, quick_thumbnails):
    seed_reference_models()
    model = ReferenceModel.objects.get(slug="zuri-okafor")
    default_storage.delete(model.thumbnail.name)
    seed_reference_models()
    assert default_storage.exists(thumbnail_key("zuri-okafor"))
