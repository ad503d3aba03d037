from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from genfans.api.openapi import errors
from genfans.api.security import api_auth
from genfans.storage.models import AssetKind
from genfans.storage.selectors import asset_get_for_team
from genfans.storage.uploads import upload_create
from genfans.storage.urls import asset_url

router = Router(tags=["uploads"])


class UploadOut(Schema):
    id: str
    url: str
    width: int
    height: int
    content_type: str
    bytes: int
    expires_at: str | None


def upload_out(asset) -> dict:
    return {
        "id": str(asset.id),
        "url": asset_url(asset, absolute=True),
        "width": asset.width,
        "height": asset.height,
        "content_type": asset.content_type,
        "bytes": asset.bytes,
        "expires_at": asset.expires_at.isoformat() if asset.expires_at else None,
    }


@router.post("/uploads", response={201: UploadOut}, auth=api_auth, openapi_extra=errors(413))
def upload(request, file: File[UploadedFile]):
    """Upload a JPEG, PNG or WebP image (≤ 20 MB) for training or face swap. The image is
    turned upright and stored without metadata (EXIF, GPS)."""
    caller = request.auth
    asset = upload_create(team=caller.team, user=caller.user, file=file)
    return Status(201, upload_out(asset))


@router.get("/uploads/{upload_id}", response=UploadOut, auth=api_auth)
def upload_detail(request, upload_id: str):
    """One of your team's uploads, with a fresh link (links expire after an hour)."""
    asset = asset_get_for_team(team=request.auth.team, asset_id=upload_id, kind=AssetKind.UPLOAD)
    return upload_out(asset)
