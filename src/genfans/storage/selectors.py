"""Reads of stored assets, always scoped by team."""

import uuid

from django.db.models import QuerySet

from genfans.core.errors import NotFound
from genfans.storage.models import Asset


def asset_list_for_team(*, team, kind: str | None = None) -> QuerySet[Asset]:
    assets = Asset.objects.filter(team=team, deleted_at__isnull=True)
    if kind is not None:
        assets = assets.filter(kind=kind)
    return assets


def asset_get_for_team(*, team, asset_id, kind: str | None = None) -> Asset:
    """A live (not deleted) asset of `team`; another team's asset is simply not found."""
    try:
        asset_id = uuid.UUID(str(asset_id))
    except ValueError:
        raise NotFound("Asset not found.", asset_id=str(asset_id)) from None
    asset = asset_list_for_team(team=team, kind=kind).filter(pk=asset_id).first()
    if asset is None:
        raise NotFound("Asset not found.", asset_id=str(asset_id))
    return asset
