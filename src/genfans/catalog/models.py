import uuid

from django.db import models

from genfans.core.models import BaseModel


class Category(models.TextChoices):
    FASHION = "fashion", "Fashion"
    FITNESS = "fitness", "Fitness"
    BEAUTY = "beauty", "Beauty"
    LIFESTYLE = "lifestyle", "Lifestyle"
    EDITORIAL = "editorial", "Editorial"
    TRAVEL = "travel", "Travel"


def thumbnail_upload_to(instance, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"catalog/thumbnails/{instance.slug}-{uuid.uuid4().hex[:8]}.{extension}"


class ReferenceModel(BaseModel):
    """A persona from the catalog that teams start their custom models from."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=100)
    category = models.CharField(max_length=24, choices=Category.choices, db_index=True)
    attributes = models.JSONField(
        default=dict, blank=True, help_text="gender, age_range, look, style_tags (a list)"
    )
    description = models.TextField(blank=True)
    base_prompt = models.TextField(help_text="Prepended to every generation prompt.")
    sort_order = models.IntegerField(default=0)
    thumbnail = models.ImageField(upload_to=thumbnail_upload_to, blank=True, max_length=300)
    # True while the thumbnail is the one `genfans seed` drew; a staff upload clears it so
    # re-seeding never replaces a real photo.
    thumbnail_generated = models.BooleanField(default=False, editable=False)
    is_active = models.BooleanField(default=True)
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["sort_order", "name"]
        indexes = [models.Index(fields=["is_active", "sort_order"], name="refmodel_active_order")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.search_text = self.build_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "search_text" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "search_text"]
        super().save(*args, **kwargs)

    def build_search_text(self) -> str:
        attributes = self.attributes or {}
        parts = [self.name, self.slug, self.category, self.description]
        for key in ("gender", "age_range", "look", "hair"):
            value = attributes.get(key)
            if value:
                parts.append(str(value))
        parts.extend(str(tag) for tag in attributes.get("style_tags") or [])
        return " ".join(parts).lower()

    @property
    def style_tags(self) -> list[str]:
        return list((self.attributes or {}).get("style_tags") or [])
