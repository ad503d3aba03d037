from datetime import datetime

from ninja import Query, Router, Schema, Status
from pydantic import Field

from genfans.accounts.selectors import api_key_list_for_team
from genfans.accounts.services import api_key_create, api_key_revoke
from genfans.api.accounts import team_auth, team_caller
from genfans.api.teams import PageQuery
from genfans.core.http import client_ip
from genfans.core.pagination import paginate

router = Router(tags=["api keys"])


class ApiKeyIn(Schema):
    name: str = Field(max_length=200)


class ApiKeyOut(Schema):
    id: str
    name: str
    prefix: str
    created_by: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreatedOut(ApiKeyOut):
    key: str


class ApiKeyPage(Schema):
    items: list[ApiKeyOut]
    next_cursor: str | None


def api_key_out(key) -> dict:
    return {
        "id": str(key.id),
        "name": key.name,
        "prefix": key.prefix,
        "created_by": key.created_by.email if key.created_by else None,
        "created_at": key.created_at,
        "last_used_at": key.last_used_at,
        "revoked_at": key.revoked_at,
    }


@router.get("/api-keys", response=ApiKeyPage, auth=team_auth)
def list_api_keys(request, query: Query[PageQuery]):
    caller = team_caller(request)
    page = paginate(api_key_list_for_team(team=caller.team), limit=query.limit, cursor=query.cursor)
    return {"items": [api_key_out(k) for k in page.items], "next_cursor": page.next_cursor}


@router.post("/api-keys", response={201: ApiKeyCreatedOut}, auth=team_auth)
def create_api_key(request, payload: ApiKeyIn):
    """Create a team API key (owners). `key` is in this answer only: it is stored as a hash."""
    caller = team_caller(request)
    key, raw = api_key_create(
        team=caller.team, user=caller.user, name=payload.name, ip_address=client_ip(request)
    )
    return Status(201, {**api_key_out(key), "key": raw})


@router.delete("/api-keys/{api_key_id}", response={204: None}, auth=team_auth)
def revoke_api_key(request, api_key_id: str):
    """Revoke a key (owners); requests with it get 401 from then on."""
    caller = team_caller(request)
    api_key_revoke(
        team=caller.team, user=caller.user, api_key_id=api_key_id, ip_address=client_ip(request)
    )
    return Status(204, None)
