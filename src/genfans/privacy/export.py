"""A person's own data, as one zip they download from Security: `data.json` (their account,
memberships, activity, API keys and the jobs they submitted) and the files behind it (their
uploads and the outputs of those jobs). Only teams they still belong to are included: what they
did in a team they left is that team's record now.

The zip is written after the one write (the activity row) has committed, so no row is locked
while files are read from storage; each file is copied straight from storage into the zip.
"""

import json
import shutil
import zipfile
from typing import IO, Any

from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from genfans.accounts.errors import WrongPassword
from genfans.accounts.models import ApiKey, User
from genfans.accounts.two_factor import two_factor_enabled
from genfans.core.errors import RateLimited
from genfans.core.ratelimit import counter_hit
from genfans.storage.keys import extension_for
from genfans.storage.models import Asset, AssetKind
from genfans.studio.models import Job
from genfans.teams.activity import activity_record
from genfans.teams.models import Action, ActivityLog, TeamMember

FORMAT_VERSION = 1
# Each export reads every file a person has: a few an hour is plenty for them, and no more
# for someone who got hold of their session.
EXPORTS_PER_HOUR = 3


class TooManyExports(RateLimited):
    code = "too_many_exports"
    default_message = f"You can download your data {EXPORTS_PER_HOUR} times an hour."


def _asset_entry(asset: Asset, folder: str) -> dict[str, Any]:
    return {
        "id": asset.id,
        "kind": asset.kind,
        "content_type": asset.content_type,
        "width": asset.width,
        "height": asset.height,
        "bytes": asset.bytes,
        "created_at": asset.created_at,
        "expires_at": asset.expires_at,
        "file": f"{folder}/{asset.id}.{extension_for(asset.content_type)}",
    }


def personal_data(*, user: User) -> tuple[dict[str, Any], list[tuple[str, Asset]]]:
    """What the export holds, and the (path in the zip, asset) of every file it copies."""
    memberships = list(TeamMember.objects.filter(user=user).select_related("team"))
    team_ids = [m.team_id for m in memberships]
    live = Asset.objects.filter(deleted_at__isnull=True).order_by("created_at", "pk")
    uploads = list(live.filter(created_by=user, kind=AssetKind.UPLOAD, team_id__in=team_ids))
    jobs = list(Job.objects.filter(user=user, team_id__in=team_ids).order_by("created_at", "pk"))
    outputs: dict = {}
    for asset in live.filter(job__in=jobs).exclude(kind=AssetKind.UPLOAD):
        outputs.setdefault(asset.job_id, []).append(asset)
    upload_entries = [_asset_entry(a, "uploads") for a in uploads]
    files = [(entry["file"], a) for entry, a in zip(upload_entries, uploads, strict=True)]
    job_entries = []
    for job in jobs:
        assets = outputs.get(job.id, [])
        output_entries = [_asset_entry(a, f"jobs/{job.id}") for a in assets]
        files += [(entry["file"], a) for entry, a in zip(output_entries, assets, strict=True)]
        job_entries.append(
            {
                "id": job.id,
                "team_id": job.team_id,
                "type": job.type,
                "status": job.status,
                "params": job.params,
                "credits_charged": job.credits_charged,
                "created_at": job.created_at,
                "finished_at": job.finished_at,
                "outputs": output_entries,
            }
        )
    data = {
        "format_version": FORMAT_VERSION,
        "account": {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "created_at": user.created_at,
            "email_verified_at": user.email_verified_at,
            "last_login": user.last_login,
            "two_factor_enabled": two_factor_enabled(user=user),
        },
        "memberships": [
            {
                "team_id": m.team_id,
                "team_name": m.team.name,
                "role": m.role,
                "joined_at": m.created_at,
            }
            for m in memberships
        ],
        "activity": [
            {
                "action": row.action,
                "team_id": row.team_id,
                "ip_address": row.ip_address,
                "metadata": row.metadata,
                "created_at": row.created_at,
            }
            for row in ActivityLog.objects.filter(user=user).order_by("created_at", "pk")
        ],
        "api_keys": [
            {
                "team_id": key.team_id,
                "name": key.name,
                "prefix": key.prefix,
                "created_at": key.created_at,
                "last_used_at": key.last_used_at,
                "revoked_at": key.revoked_at,
            }
            for key in ApiKey.objects.filter(created_by=user).order_by("created_at", "pk")
        ],
        "uploads": upload_entries,
        "jobs": job_entries,
    }
    return data, files


def personal_data_export_write(*, user: User, out: IO[bytes]) -> None:
    """Write the person's export as a zip into `out`. A file storage has lost is listed in
    `missing_files` rather than failing the whole export."""
    data, files = personal_data(user=user)
    missing = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for path, asset in files:
            try:
                with (
                    default_storage.open(asset.storage_key, "rb") as source,
                    archive.open(path, "w") as target,
                ):
                    shutil.copyfileobj(source, target, 1024 * 1024)
            except FileNotFoundError:
                missing.append(path)
        data["missing_files"] = missing
        archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2))


@transaction.atomic(durable=True)
def personal_data_export_allow(
    *, user: User, password: str, team=None, ip_address: str | None = None
) -> None:
    """Confirm the person's password, take one of their exports of the hour and log it."""
    if not user.check_password(password or ""):
        raise WrongPassword(field="password")
    if counter_hit(key=f"data-export:{user.pk}", window_seconds=3600).count > EXPORTS_PER_HOUR:
        raise TooManyExports()
    activity_record(action=Action.EXPORT_DATA, team=team, user=user, ip_address=ip_address)
