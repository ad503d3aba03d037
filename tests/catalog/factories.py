import itertools

from genfans.catalog.models import ReferenceModel

_counter = itertools.count(1)


def make_reference_model(**fields) -> ReferenceModel:
    n = next(_counter)
    defaults = {
        "slug": f"persona-{n}",
        "name": f"Persona {n}",
        "category": "fashion",
        "attributes": {"gender": "woman", "age_range": "25-30", "style_tags": ["runway"]},
        "description": "A test persona.",
        "base_prompt": f"Photorealistic portrait of persona {n}.",
        "sort_order": n * 10,
    }
    return ReferenceModel.objects.create(**{**defaults, **fields})
