"""Writes of the gallery (the team's images and videos); its reads are in `selectors`."""

import logging

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from genfans.core.errors import NotFound
from genfans.core.ids import uuid_or_none
from genfans.core.locks import rows_locked
from genfans.core.transactions import call_on_commit
from genfans.storage.models import Asset
from genfans.studio.selectors import GALLERY_KINDS

logger = logging.getLogger(__name__)


@transaction.atomic(durable=True)
def gallery_asset_delete(*, team, asset_id) -> Asset:
    """Hide the asset now and delete its file after commit; a second delete is not found."""
    asset_uuid = uuid_or_none(asset_id)
    asset = (
        rows_locked(
            "asset",
            Asset.objects.filter(
                team=team, pk=asset_uuid, kind__in=GALLERY_KINDS, deleted_at__isnull=True
            ),
        ).first()
        if asset_uuid
        else None
    )
    if asset is None:
        raise NotFound("No such image or video.")
    asset.deleted_at = timezone.now()
    asset.save(update_fields=["deleted_at", "updated_at"])
    call_on_commit(_file_delete, asset.storage_key)
    return asset


def _file_delete(key: str) -> None:
    try:
        default_storage.delete(key)
    except Exception:  # noqa: BLE001 - the row is already hidden
        # Only live rows keep a file from `genfans cleanup --orphans`: it deletes this one.
        logger.exception("could not delete %s; the orphan cleanup will", key)
