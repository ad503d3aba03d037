"""Uploads: images a team sends us (training photos, face-swap inputs).

Accepted by content, never by name: Pillow must identify the bytes as JPEG, PNG or WebP.
The image is decoded, turned upright from its EXIF orientation and re-encoded without any
metadata (EXIF, GPS, XMP, comments), so what we store is pixels we have decoded ourselves.
Every check runs before anything is written: a rejected upload stores nothing.
"""

import io

from django.conf import settings
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from genfans.core.errors import DomainError
from genfans.core.transactions import call_on_commit
from genfans.storage.errors import (
    FileTooLarge,
    ImageTooLarge,
    InvalidImage,
    PhotoTooSmall,
    UnsupportedFileType,
)
from genfans.storage.models import Asset, AssetKind
from genfans.storage.services import (
    StoredFile,
    asset_create,
    asset_file_save,
    asset_files_forget,
    asset_record,
)

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# Phones write several pictures into one JPEG (MPO: the photo plus depth or preview frames);
# Pillow names that format apart, and we keep its first picture as a plain JPEG.
_JPEG_VARIANTS = {"MPO": "JPEG"}
# Refused outright: beyond any camera, or a decompression bomb.
MAX_SIDE = 12_000
MAX_PIXELS = 50_000_000
# Stored at most this long a side: plenty for training and face swap, and bounded storage.
MAX_STORED_SIDE = 4096
_SAVE_OPTIONS = {
    "JPEG": {"quality": 92},
    "PNG": {"optimize": False},
    "WEBP": {"quality": 90, "method": 4},
}


def _read_limited(file) -> bytes:
    # One check, on what is read (at most a byte past the limit), not on a declared size.
    limit = settings.MAX_UPLOAD_BYTES
    file.seek(0)
    data = file.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(
            f"The file is larger than {limit // (1024 * 1024)} MB.", max_bytes=limit, field="file"
        )
    if not data:
        raise InvalidImage("The file is empty.", field="file")
    return data


def _format(image: Image.Image) -> str:
    return _JPEG_VARIANTS.get(image.format, image.format)


def _decode(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except UnidentifiedImageError:
        raise UnsupportedFileType(field="file") from None
    except Image.DecompressionBombError:
        raise ImageTooLarge(field="file") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage(field="file") from exc
    # Pillow refuses a header of zero width or height: the size here is at least 1×1.
    width, height = image.size
    # Checked from the header, before a single pixel is decompressed.
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageTooLarge(
            f"Images may be at most {MAX_SIDE} pixels a side and "
            f"{MAX_PIXELS // 1_000_000} megapixels; this one is {width}×{height}.",
            field="file",
            width=width,
            height=height,
        )
    if _format(image) == "JPEG":
        # Let the JPEG decoder scale down by 1/2, 1/4 or 1/8 while decoding: a large photo
        # then never occupies its full size in memory.
        image.draft("RGB" if image.mode == "RGB" else None, (MAX_STORED_SIDE, MAX_STORED_SIDE))
    # Pillow's own bomb check runs in `Image.open` (above, at a limit beyond MAX_PIXELS);
    # `load` decodes no more than the header's size, which the check above has bounded.
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidImage(field="file") from exc
    return image


def _clean(image: Image.Image) -> tuple[bytes, int, int]:
    """Upright, metadata-free re-encoding in the image's own format."""
    fmt = _format(image)
    upright = ImageOps.exif_transpose(image)
    icc_profile = image.info.get("icc_profile")
    # Every mode Pillow opens a PNG (1, L, LA, P, I;16, RGB, RGBA) or WebP (RGB, RGBA) in
    # saves as it is; only JPEG's CMYK and YCbCr do not.
    if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    if max(upright.size) > MAX_STORED_SIDE:
        upright.thumbnail((MAX_STORED_SIDE, MAX_STORED_SIDE), Image.Resampling.LANCZOS)
    upright.info = {}  # drop EXIF, XMP, comments and text chunks carried over from the source
    options = dict(_SAVE_OPTIONS[fmt])
    if icc_profile:  # colour, not metadata: without it colours shift
        options["icc_profile"] = icc_profile
    out = io.BytesIO()
    upright.save(out, format=fmt, **options)
    return out.getvalue(), upright.width, upright.height


def image_short_side_check(*, width: int, height: int, min_side: int | None) -> None:
    """Refuse an image whose short side is under `min_side` (no minimum when None): the one
    check for stored dimensions and for a file about to be stored."""
    if min_side is not None and min(width, height) < min_side:
        raise PhotoTooSmall(
            f"Photos must be at least {min_side} pixels on the short side; "
            f"this one is {width}×{height}.",
            field="file",
            width=width,
            height=height,
            min_side=min_side,
        )


def upload_validate(*, file, min_side: int | None = None) -> tuple[bytes, str, int, int]:
    """The cleaned bytes, content type and dimensions of an acceptable upload; raises else.
    `min_side` applies to the stored (upright, bounded) dimensions, the ones a later check
    of the stored upload sees."""
    image = _decode(_read_limited(file))
    content_type = FORMATS[_format(image)]
    content, width, height = _clean(image)
    image_short_side_check(width=width, height=height, min_side=min_side)
    return content, content_type, width, height


@transaction.atomic(durable=True)
def upload_create(*, team, user, file) -> Asset:
    content, content_type, width, height = upload_validate(file=file)
    return asset_create(
        team=team,
        kind=AssetKind.UPLOAD,
        content=content,
        content_type=content_type,
        width=width,
        height=height,
        created_by=user,
    )


def uploads_store(*, team, user, files: list, min_side: int | None = None) -> list[Asset]:
    """Store several uploads, all or none: every file is checked before any is written, the
    files are written before the transaction that records them (no storage I/O under its
    locks) and deleted again if it does not commit. When files are refused, the first one's
    error is raised, naming it in `details["file_name"]`, and `details["files"]` lists every
    refused file (`file_name`, `code`, `message`) so a page can name them all."""
    cleaned = []
    refused: list[tuple[str, DomainError]] = []
    for file in files:
        try:
            cleaned.append(upload_validate(file=file, min_side=min_side))
        except DomainError as error:
            refused.append((file.name, error))
    if refused:
        name, first = refused[0]
        first.details["file_name"] = name
        first.details["files"] = [
            {"file_name": n, "code": e.code, "message": e.message} for n, e in refused
        ]
        raise first
    stored = []
    try:
        for content, content_type, _, _ in cleaned:
            stored.append(
                asset_file_save(
                    team=team, kind=AssetKind.UPLOAD, content=content, content_type=content_type
                )
            )
        return _uploads_record(team=team, user=user, stored=stored, cleaned=cleaned)
    except BaseException:
        asset_files_forget(stored)
        raise


@transaction.atomic(durable=True)
def _uploads_record(*, team, user, stored, cleaned) -> list[Asset]:
    return [
        asset_record(
            team=team,
            stored=file,
            kind=AssetKind.UPLOAD,
            content_type=content_type,
            width=width,
            height=height,
            created_by=user,
        )
        for file, (_, content_type, width, height) in zip(stored, cleaned, strict=True)
    ]


@transaction.atomic(durable=True)
def uploads_discard(*, team, uploads: list[Asset]) -> None:
    """Remove uploads nothing used (the submit they were stored for was refused): the rows
    now, the files after commit."""
    Asset.objects.filter(team=team, kind=AssetKind.UPLOAD, pk__in=[u.pk for u in uploads]).delete()
    files = [StoredFile(id=u.pk, key=u.storage_key, size=u.bytes) for u in uploads]
    call_on_commit(asset_files_forget, files)
