from django.core.exceptions import BadRequest

from genfans.core.errors import ValidationError
from genfans.core.pagination import Page, paginate


def page_for_request(request, queryset, *, limit: int) -> Page:
    """The page the request's `cursor` names. A malformed cursor is a broken link: 400, as the
    API answers, rather than quietly showing the first page as if it were the one asked for."""
    try:
        return paginate(queryset, limit=limit, cursor=request.GET.get("cursor") or None)
    except ValidationError as error:
        raise BadRequest(error.message) from error
