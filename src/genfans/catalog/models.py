import uuid

from django.core.exceptions import ValidationError
from django.db import models

from genfans.core.models import BaseModel


class Category(models.TextChoices):
    FASHION = "fashion", "Fashion"
    FITNESS = "fitness", "Fitness"
    BEAUTY = "beauty", "Beauty"
    LIFESTYLE = "lifestyle", "Lifestyle"
    EDITORIAL = "editorial", "Editorial"
    TRAVEL = "travel", "Travel"


ATTRIBUTE_TEXT_FIELDS = ("gender", "age_range", "look", "hair")


def thumbnail_upload_to(instance, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in {"jpg", "jpeg", "png", "webp"}:
        extension = "jpg"
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

    def clean(self):
        attributes = self.attributes
        if not isinstance(attributes, dict):
            raise ValidationError({"attributes": "Attributes must be a JSON object."})
        for key in ATTRIBUTE_TEXT_FIELDS:
            if key in attributes and not isinstance(attributes[key], str):
                raise ValidationError({"attributes": f"“{key}” must be text."})
        tags = attributes.get("style_tags", [])
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            raise ValidationError({"attributes": "“style_tags” must be a list of text."})

    def save(self, *args, **kwargs):
        self.search_text = self.build_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "search_text" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "search_text"]
        super().save(*args, **kwargs)

    def build_search_text(self) -> str:
        attributes = self.attributes if isinstance(self.attributes, dict) else {}
        parts = [self.name, self.slug, self.category, self.description]
        for key in ATTRIBUTE_TEXT_FIELDS:
            value = attributes.get(key)
            if value:
                parts.append(str(value))
        parts.extend(self.style_tags)
        return " ".join(parts).lower()

    def attribute(self, key: str) -> str | None:
        attributes = self.attributes if isinstance(self.attributes, dict) else {}
        value = attributes.get(key)
        return str(value) if value not in (None, "") else None

    @property
    def style_tags(self) -> list[str]:
        attributes = self.attributes if isinstance(self.attributes, dict) else {}
        tags = attributes.get("style_tags") or []
        return [str(tag) for tag in tags] if isinstance(tags, list) else [str(tags)]
