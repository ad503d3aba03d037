import uuid

from genfans.accounts.models import ApiKey
from genfans.core.errors import NotFound


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"
    default_message = "No such API key in this team."


def api_key_list_for_team(*, team):
    return ApiKey.objects.filter(team=team).select_related("created_by").order_by("-created_at")


def api_key_get_for_team(*, team, api_key_id) -> ApiKey:
    try:
        api_key_id = uuid.UUID(str(api_key_id))
    except (TypeError, ValueError):
        raise ApiKeyNotFound() from None
    key = ApiKey.objects.filter(team=team, pk=api_key_id).first()
    if key is None:
        raise ApiKeyNotFound()
    return key
