"""Reads of the reference catalog. The catalog is shared by every team: no `team=` here."""

from django.db.models import QuerySet

from genfans.catalog.errors import ReferenceModelNotFound
from genfans.catalog.models import Category, ReferenceModel
from genfans.core.errors import ValidationError
from genfans.core.ids import uuid_or_none

MAX_QUERY_WORDS = 8


def reference_model_list(
    *, category: str | None = None, q: str | None = None, include_inactive: bool = False
) -> QuerySet[ReferenceModel]:
    """Active models in catalog order; `q` matches every word against name, description,
    attributes and tags."""
    models = ReferenceModel.objects.all()
    if not include_inactive:
        models = models.filter(is_active=True)
    if category:
        if category not in Category.values:
            raise ValidationError(f"Unknown category: {category}.", field="category")
        models = models.filter(category=category)
    for word in (q or "").lower().split()[:MAX_QUERY_WORDS]:
        models = models.filter(search_text__contains=word)
    return models.order_by("sort_order", "pk")


def reference_model_list_related(*, model: ReferenceModel, limit: int = 4) -> list[ReferenceModel]:
    """Up to `limit` other active models of `model`'s category, in catalog order."""
    return list(reference_model_list(category=model.category).exclude(pk=model.pk)[:limit])


def reference_model_get(*, reference_model_id, include_inactive: bool = False) -> ReferenceModel:
    pk = uuid_or_none(reference_model_id)
    if pk is None:
        raise ReferenceModelNotFound(reference_model_id=str(reference_model_id))
    models = ReferenceModel.objects.all()
    if not include_inactive:
        models = models.filter(is_active=True)
    model = models.filter(pk=pk).first()
    if model is None:
        raise ReferenceModelNotFound(reference_model_id=str(reference_model_id))
    return model


def reference_model_get_by_slug(*, slug: str) -> ReferenceModel:
    model = ReferenceModel.objects.filter(slug=slug, is_active=True).first()
    if model is None:
        raise ReferenceModelNotFound(slug=slug)
    return model


def category_counts() -> dict[str, int]:
    counts = dict.fromkeys(Category.values, 0)
    for row in ReferenceModel.objects.filter(is_active=True).values_list("category", flat=True):
        counts[row] = counts.get(row, 0) + 1
    return counts
