"""Reads of stored assets, always scoped by team."""

from django.db.models import QuerySet

from genfans.core.errors import NotFound
from genfans.core.ids import uuid_or_none
from genfans.storage.models import Asset


def asset_list_for_team(*, team, kind: str | None = None) -> QuerySet[Asset]:
    assets = Asset.objects.filter(team=team, deleted_at__isnull=True)
    if kind is not None:
        assets = assets.filter(kind=kind)
    return assets


def asset_get_for_team(*, team, asset_id, kind: str | None = None) -> Asset:
    """A live (not deleted) asset of `team`; another team's asset is simply not found."""
    pk = uuid_or_none(asset_id)
    if pk is None:
        raise NotFound("Asset not found.", asset_id=str(asset_id))
    asset = asset_list_for_team(team=team, kind=kind).filter(pk=pk).first()
    if asset is None:
        raise NotFound("Asset not found.", asset_id=str(asset_id))
    return asset
