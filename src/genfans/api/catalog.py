from ninja import Query, Router, Schema
from pydantic import Field

from genfans.api.security import api_auth
from genfans.catalog.errors import ReferenceModelNotFound
from genfans.catalog.models import Category, ReferenceModel
from genfans.catalog.selectors import (
    reference_model_get,
    reference_model_get_by_slug,
    reference_model_list,
)
from genfans.core.pagination import paginate_by
from genfans.storage.urls import file_url

router = Router(tags=["catalog"])


class ReferenceModelFilters(Schema):
    category: Category | None = None
    q: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=500)


class AttributesOut(Schema):
    gender: str | None = None
    age_range: str | None = None
    look: str | None = None
    hair: str | None = None
    style_tags: list[str] = []


class ReferenceModelOut(Schema):
    id: str
    slug: str
    name: str
    category: str
    attributes: AttributesOut
    description: str
    base_prompt: str
    sort_order: int
    thumbnail_url: str | None


class ReferenceModelPage(Schema):
    items: list[ReferenceModelOut]
    next_cursor: str | None


def reference_model_out(model: ReferenceModel) -> dict:
    return {
        "id": str(model.id),
        "slug": model.slug,
        "name": model.name,
        "category": model.category,
        "attributes": {
            "gender": model.attribute("gender"),
            "age_range": model.attribute("age_range"),
            "look": model.attribute("look"),
            "hair": model.attribute("hair"),
            "style_tags": model.style_tags,
        },
        "description": model.description,
        "base_prompt": model.base_prompt,
        "sort_order": model.sort_order,
        "thumbnail_url": file_url(model.thumbnail.name, absolute=True) if model.thumbnail else None,
    }


@router.get("/reference-models", response=ReferenceModelPage, auth=api_auth)
def reference_model_index(request, filters: Query[ReferenceModelFilters]):
    """The catalog in its sort order; `category` and `q` (words matched against name,
    description, attributes and tags) narrow it."""
    models = reference_model_list(category=filters.category, q=filters.q)
    page = paginate_by(models, field="sort_order", limit=filters.limit, cursor=filters.cursor)
    return {
        "items": [reference_model_out(model) for model in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get("/reference-models/{reference_model_id}", response=ReferenceModelOut, auth=api_auth)
def reference_model_detail(request, reference_model_id: str):
    """One reference model, by id or by slug."""
    try:
        model = reference_model_get(reference_model_id=reference_model_id)
    except ReferenceModelNotFound:
        model = reference_model_get_by_slug(slug=reference_model_id)
    return reference_model_out(model)
