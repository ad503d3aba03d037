import io
from unittest import mock

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from genfans.core.errors import NotFound
from genfans.storage.errors import UnsupportedFileType
from genfans.storage.models import Asset
from genfans.storage.selectors import asset_get_for_team
from genfans.storage.uploads import uploads_store
from tests.factories import make_api_key, make_user
from tests.storage.images import image_bytes, jpeg_with_exif, phone_mpo, png_claiming_size

URL = "/api/uploads"


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def post(client, content: bytes, name="photo.jpg", content_type="image/jpeg", **extra):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(URL, {"file": upload}, **extra)


@pytest.mark.parametrize(
    ("fmt", "content_type", "mode"),
    [("JPEG", "image/jpeg", "RGB"), ("PNG", "image/png", "RGBA"), ("WEBP", "image/webp", "RGB")],
)
def test_accepted_formats(owner_client, team, settings, fmt, content_type, mode):
    response = post(owner_client, image_bytes(fmt, size=(64, 48), mode=mode, color=(1, 2, 3)))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["width"], body["height"], body["content_type"]) == (64, 48, content_type)
    asset = Asset.objects.get()
    assert str(asset.id) == body["id"]
    assert asset.kind == "upload"
    assert asset.team == team
    assert asset.storage_key.startswith(f"teams/{team.id}/upload/")
    assert body["url"].startswith(settings.BASE_URL + "/media/" + asset.storage_key + "?")
    assert asset.expires_at is not None
    assert len(stored_files(settings)) == 1


def test_type_comes_from_content_not_name(owner_client):
    response = post(owner_client, image_bytes("PNG"), name="photo.jpg", content_type="image/jpeg")
    assert response.status_code == 201
    assert response.json()["content_type"] == "image/png"
    assert Asset.objects.get().storage_key.endswith(".png")


def test_exif_orientation_is_applied_and_metadata_stripped(owner_client, client):
    response = post(owner_client, jpeg_with_exif(orientation=6, size=(40, 30)))
    assert response.status_code == 201
    body = response.json()
    assert (body["width"], body["height"]) == (30, 40)  # turned upright
    stored = client.get(body["url"].removeprefix("http://127.0.0.1:8000"))
    image = Image.open(io.BytesIO(b"".join(stored.streaming_content)))
    assert image.size == (30, 40)
    exif = image.getexif()
    assert len(exif) == 0
    assert not exif.get_ifd(0x8825)  # no GPS
    assert "exif" not in image.info


def test_a_phones_multi_picture_jpeg_is_kept_as_its_upright_first_picture(owner_client, client):
    response = post(owner_client, phone_mpo(size=(48, 32)))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["content_type"], body["width"], body["height"]) == ("image/jpeg", 32, 48)
    stored = client.get(body["url"].removeprefix("http://127.0.0.1:8000"))
    image = Image.open(io.BytesIO(b"".join(stored.streaming_content)))
    assert (image.format, image.size, getattr(image, "n_frames", 1)) == ("JPEG", (32, 48), 1)
    assert image.getpixel((16, 24))[0] > 150  # the photo, not the depth frame


def test_upload_with_api_key(client, team):
    key = make_api_key(team=team)
    response = post(client, image_bytes("WEBP"), HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 201
    assert Asset.objects.get().team == team


def test_anonymous_upload_is_refused(client, db, settings):
    response = post(client, image_bytes())
    assert response.status_code == 401
    assert Asset.objects.count() == 0


REJECTIONS = [
    pytest.param(b"hello, I am text", 400, "unsupported_file_type", id="text"),
    pytest.param(b"%PDF-1.7\n%\xe2\xe3", 400, "unsupported_file_type", id="pdf"),
    pytest.param(image_bytes("GIF", mode="P", color=1), 400, "unsupported_file_type", id="gif"),
    pytest.param(image_bytes("BMP"), 400, "unsupported_file_type", id="bmp"),
    pytest.param(image_bytes("TIFF"), 400, "unsupported_file_type", id="tiff"),
    pytest.param(
        b"<svg xmlns='http://www.w3.org/2000/svg'/>", 400, "unsupported_file_type", id="svg"
    ),
    pytest.param(png_claiming_size(30_000, 30_000), 400, "image_too_large", id="png-bomb"),
    pytest.param(png_claiming_size(12_001, 1), 400, "image_too_large", id="absurd-width"),
    pytest.param(png_claiming_size(8_000, 8_000), 400, "image_too_large", id="too-many-pixels"),
    pytest.param(
        image_bytes("JPEG", size=(300, 300))[:400], 400, "invalid_image", id="truncated-jpeg"
    ),
    pytest.param(
        image_bytes("PNG", size=(300, 300))[:60], 400, "invalid_image", id="truncated-png"
    ),
]


@pytest.mark.parametrize(("content", "status", "code"), REJECTIONS)
def test_rejections_store_nothing(owner_client, settings, content, status, code):
    response = post(owner_client, content, name="innocent.jpg")
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert Asset.objects.count() == 0
    assert stored_files(settings) == []


def test_empty_file_is_rejected(owner_client, settings):
    response = post(owner_client, b"")
    assert response.status_code == 400
    assert Asset.objects.count() == 0
    assert stored_files(settings) == []


def test_missing_file_field_is_rejected(owner_client, settings):
    response = owner_client.post(URL, {"other": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert Asset.objects.count() == 0


def test_file_over_20_mb_answers_413(owner_client, settings):
    assert settings.MAX_UPLOAD_BYTES == 20 * 1024 * 1024
    content = image_bytes("JPEG") + b"\0" * (20 * 1024 * 1024)
    response = post(owner_client, content)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert Asset.objects.count() == 0
    assert stored_files(settings) == []


def test_file_of_exactly_the_limit_is_not_rejected_for_size(owner_client, settings):
    settings.MAX_UPLOAD_BYTES = 2000
    jpeg = image_bytes("JPEG", size=(8, 8))
    padded = jpeg + b"\0" * (2000 - len(jpeg))  # trailing bytes after EOI are ignored
    assert post(owner_client, padded).status_code == 201
    assert post(owner_client, padded + b"\0").status_code == 413


def test_uploads_are_team_scoped(owner_client, team):
    asset_id = post(owner_client, image_bytes()).json()["id"]
    other_team = make_user().memberships.get().team
    with pytest.raises(NotFound):
        asset_get_for_team(team=other_team, asset_id=asset_id)
    assert asset_get_for_team(team=team, asset_id=asset_id, kind="upload").id.hex


@pytest.mark.parametrize(
    ("fmt", "size", "stored"),
    [("JPEG", (5000, 1000), (4096, 819)), ("PNG", (500, 5000), (410, 4096))],
)
def test_large_images_are_scaled_down_for_storage(owner_client, fmt, size, stored):
    response = post(owner_client, image_bytes(fmt, size=size, mode="RGB"))
    assert response.status_code == 201
    body = response.json()
    assert (body["width"], body["height"]) == stored
    asset = Asset.objects.get()
    assert (asset.width, asset.height) == stored


def test_get_upload_gives_a_fresh_link_and_hides_other_teams(owner_client, client, team):
    asset_id = post(owner_client, image_bytes()).json()["id"]
    body = owner_client.get(f"{URL}/{asset_id}").json()
    assert body["id"] == asset_id
    assert body["content_type"] == "image/jpeg"
    other = make_user(email="other@example.com")
    client.force_login(other)
    response = client.get(f"{URL}/{asset_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert owner_client.get(f"{URL}/not-a-uuid").status_code == 404


def _animated_webp() -> bytes:
    frames = [Image.new("RGB", (20, 20), c) for c in ((255, 0, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, format="WEBP", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


def _png_with_text() -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at 12 Secret Street")
    out = io.BytesIO()
    Image.new("RGB", (10, 10), (9, 9, 9)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "content_type", "mode"),
    [
        pytest.param(
            image_bytes("JPEG", mode="CMYK", color=(0, 50, 100, 0)),
            "image/jpeg",
            "RGB",
            id="cmyk-jpeg",
        ),
        pytest.param(image_bytes("JPEG", mode="L", color=80), "image/jpeg", "L", id="grey-jpeg"),
        pytest.param(
            image_bytes("PNG", mode="P", color=3, transparency=3),
            "image/png",
            "P",
            id="palette-png",
        ),
        pytest.param(
            image_bytes("PNG", mode="LA", color=(80, 128)), "image/png", "LA", id="grey-alpha-png"
        ),
        pytest.param(
            image_bytes("PNG", mode="I;16", color=40000), "image/png", None, id="16-bit-png"
        ),
        pytest.param(
            image_bytes("WEBP", mode="RGBA", color=(1, 2, 3, 100)),
            "image/webp",
            "RGBA",
            id="alpha-webp",
        ),
        pytest.param(_animated_webp(), "image/webp", "RGB", id="animated-webp"),
        pytest.param(_png_with_text(), "image/png", "RGB", id="png-text-chunk"),
        pytest.param(phone_mpo(), "image/jpeg", "RGB", id="phone-mpo"),
        pytest.param(
            image_bytes("JPEG", progressive=True, subsampling=0),
            "image/jpeg",
            "RGB",
            id="progressive",
        ),
    ],
)
def test_image_modes_are_stored_cleanly(owner_client, client, content, content_type, mode):
    response = post(owner_client, content)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == content_type
    stored = client.get(body["url"].removeprefix("http://127.0.0.1:8000"))
    image = Image.open(io.BytesIO(b"".join(stored.streaming_content)))
    if mode:
        assert image.mode == mode
    assert image.format == body["content_type"].removeprefix("image/").upper()
    assert getattr(image, "n_frames", 1) == 1
    assert not image.info.get("Comment") and "exif" not in image.info


def test_a_photos_colour_profile_is_kept(owner_client, client):
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    response = post(owner_client, image_bytes("JPEG", icc_profile=profile))
    assert response.status_code == 201, response.content
    stored = client.get(response.json()["url"].removeprefix("http://127.0.0.1:8000"))
    image = Image.open(io.BytesIO(b"".join(stored.streaming_content)))
    assert image.info["icc_profile"] == profile


# --- several uploads at once (the model and face swap pages) --------------------------------


def _files(*contents: tuple[str, bytes]) -> list:
    return [SimpleUploadedFile(name, data, "image/jpeg") for name, data in contents]


def test_a_refused_file_among_several_is_named_and_none_is_stored(team, owner, settings):
    files = _files(("one.jpg", image_bytes()), ("notes.jpg", b"shopping list"))
    with pytest.raises(UnsupportedFileType) as refused:
        uploads_store(team=team, user=owner, files=files)
    assert refused.value.details["file_name"] == "notes.jpg"
    assert Asset.objects.count() == 0
    assert stored_files(settings) == []


def test_storage_failing_midway_deletes_the_files_already_written(team, owner, settings):
    files = _files(*[(f"{n}.jpg", image_bytes(color=(n, 9, 9))) for n in range(3)])
    save = FileSystemStorage._save
    calls = []

    def disk_full_on_the_second_file(storage, name, content):
        calls.append(name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return save(storage, name, content)

    with (
        mock.patch.object(FileSystemStorage, "_save", disk_full_on_the_second_file),
        pytest.raises(OSError, match="No space left"),
    ):
        uploads_store(team=team, user=owner, files=files)
    assert len(calls) == 2
    assert Asset.objects.count() == 0
    assert stored_files(settings) == []
