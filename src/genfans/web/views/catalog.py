from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render

from genfans.catalog.models import Category
from genfans.catalog.selectors import (
    category_counts,
    reference_model_get,
    reference_model_list,
    reference_model_list_related,
)
from genfans.catalog.thumbnails import SAMPLE_VARIANTS, thumbnail_render
from genfans.core.errors import NotFound
from genfans.web.decorators import team_required

PAGE_SIZE = 24

# Ideas shown on a persona's page, to start from its base prompt.
PROMPT_IDEAS = {
    "fashion": ["a lookbook shot in a minimalist studio", "a street-style photo in the city"],
    "fitness": ["a training session at golden hour", "a post-workout portrait, relaxed"],
    "beauty": ["a close-up with soft window light", "a product shot holding a serum bottle"],
    "lifestyle": ["a slow Sunday morning at home", "coffee with friends in a sunny café"],
    "editorial": ["a dramatic portrait with one hard light", "a cover shot with bold colour"],
    "travel": ["a candid moment at a seaside town", "a hotel balcony at sunrise"],
}


@team_required
def catalog_list(request):
    category = request.GET.get("category", "")
    if category not in Category.values:
        category = ""
    q = request.GET.get("q", "").strip()[:200]
    models = reference_model_list(category=category or None, q=q or None)
    page = Paginator(models, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = category_counts()
    base_query = {k: v for k, v in (("category", category), ("q", q)) if v}
    context = {
        "page": page,
        "category": category,
        "q": q,
        "categories": [(value, label, counts[value]) for value, label in Category.choices],
        "query": urlencode(base_query),
        "q_query": urlencode({"q": q}) if q else "",
    }
    template = "web/catalog/list.html"
    if request.htmx and request.htmx.target == "catalog-results":
        template += "#results"
    return render(request, template, context)


@team_required
def catalog_detail(request, reference_model_id):
    try:
        model = reference_model_get(reference_model_id=reference_model_id)
    except NotFound:
        raise Http404 from None
    related = reference_model_list_related(model=model)
    return render(
        request,
        "web/catalog/detail.html",
        {
            "model": model,
            "related": related,
            "prompt_ideas": PROMPT_IDEAS.get(model.category, []),
            "create_url": f"/dashboard/models/new?reference={model.id}",
            "samples": [
                f"/dashboard/catalog/{model.id}/samples/{variant}.jpg"
                for variant in SAMPLE_VARIANTS
            ],
        },
    )


@team_required
def catalog_sample(request, reference_model_id, variant: int):
    """A sample shot of a persona, drawn on request: deterministic, so browsers cache it."""
    if variant not in SAMPLE_VARIANTS:
        raise Http404
    try:
        model = reference_model_get(reference_model_id=reference_model_id)
    except NotFound:
        raise Http404 from None
    image = thumbnail_render(
        slug=model.slug,
        name=model.name,
        category=model.category,
        attributes=model.attributes if isinstance(model.attributes, dict) else {},
        variant=variant,
    )
    response = HttpResponse(image, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response
