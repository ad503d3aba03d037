"""HTTP helpers shared by the custom model and media tests."""

from django.core.files.uploadedfile import SimpleUploadedFile

from genfans.studio.models import (
    CustomModel,
    CustomModelStatus,
    ModelVersion,
    ModelVersionKind,
    ModelVersionStatus,
)
from tests.providers.fakes import jpeg_bytes


def upload(client, colour=(200, 120, 80), size=(512, 640)) -> str:
    file = SimpleUploadedFile("photo.jpg", jpeg_bytes(*size, colour=colour), "image/jpeg")
    response = client.post("/api/uploads", {"file": file})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def uploads(client, count: int) -> list[str]:
    return [upload(client, colour=(40 + 20 * i % 200, 90, 160)) for i in range(count)]


def create_model(client, reference_model, upload_ids, **overrides):
    body = {
        "name": "Ava Summer",
        "reference_model_id": str(reference_model.pk),
        "upload_ids": upload_ids,
        **overrides,
    }
    return client.post("/api/models", body, content_type="application/json")


def generate_from(client, model_id, **overrides):
    body = {
        "prompt": "on a rooftop at dusk",
        "num_images": 1,
        "width": 512,
        "height": 512,
        "quality": "draft",
        **overrides,
    }
    return client.post(f"/api/models/{model_id}/generate", body, content_type="application/json")


def file_bytes(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


def ready_model(team, reference_model, *, name="Ava", trigger_word="tokava") -> CustomModel:
    """A trained custom model with one ready version, made directly (no training job)."""
    model = CustomModel.objects.create(
        team=team,
        reference_model=reference_model,
        name=name,
        status=CustomModelStatus.READY,
        trigger_word=trigger_word,
    )
    model.current_version = ModelVersion.objects.create(
        model=model,
        number=1,
        kind=ModelVersionKind.CREATION,
        status=ModelVersionStatus.READY,
        trigger_word=trigger_word,
    )
    model.save()
    return model
