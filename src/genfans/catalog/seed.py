"""`genfans seed` for the catalog: upsert by slug, draw missing thumbnails."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from genfans.catalog.models import ReferenceModel
from genfans.catalog.seed_data import reference_model_rows
from genfans.catalog.thumbnails import thumbnail_render

# Bump to redraw every generated thumbnail (staff uploads are never touched).
THUMBNAIL_VERSION = 1


def thumbnail_key(slug: str) -> str:
    return f"catalog/thumbnails/{slug}-generated-v{THUMBNAIL_VERSION}.jpg"


def _needs_thumbnail(model: ReferenceModel) -> bool:
    if not model.thumbnail:
        return True
    if not model.thumbnail_generated:
        return False  # a staff upload: keep it
    key = thumbnail_key(model.slug)
    return model.thumbnail.name != key or not default_storage.exists(key)


def reference_model_thumbnail_generate(*, model: ReferenceModel) -> None:
    key = thumbnail_key(model.slug)
    content = thumbnail_render(
        slug=model.slug, name=model.name, category=model.category, attributes=model.attributes
    )
    if default_storage.exists(key):
        default_storage.delete(key)
    model.thumbnail.name = default_storage.save(key, ContentFile(content))
    model.thumbnail_generated = True
    model.save(update_fields=["thumbnail", "thumbnail_generated", "updated_at"])


def seed_reference_models() -> int:
    """Idempotent: re-running updates the rows by slug and never duplicates them."""
    rows = reference_model_rows()
    for row in rows:
        # Whether a persona is shown is staff's call: set on creation, never reset.
        is_active = row.pop("is_active")
        model, _ = ReferenceModel.objects.update_or_create(
            slug=row["slug"], defaults=row, create_defaults={**row, "is_active": is_active}
        )
        if _needs_thumbnail(model):
            reference_model_thumbnail_generate(model=model)
    return len(rows)


def catalog_seeded() -> bool:
    return ReferenceModel.objects.exists()
