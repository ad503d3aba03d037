"""Staff change custom models only through the team's own services: the change form saves
nothing, and archiving from the admin releases the model's files as the page does."""

import pytest

from genfans.storage.models import AssetKind
from genfans.storage.services import asset_create
from genfans.studio.models import (
    CustomModel,
    CustomModelStatus,
    ModelVersion,
    ModelVersionKind,
    ModelVersionStatus,
)
from tests.catalog.factories import make_reference_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_model(team):
    weights = asset_create(
        team=team,
        kind=AssetKind.WEIGHTS,
        content=b"lora",
        content_type="application/octet-stream",
        expires=False,
    )
    model = CustomModel.objects.create(
        team=team,
        reference_model=make_reference_model(),
        name="Ava",
        status=CustomModelStatus.READY,
        trigger_word="tokava",
    )
    ModelVersion.objects.create(
        model=model,
        number=1,
        kind=ModelVersionKind.CREATION,
        status=ModelVersionStatus.READY,
        trigger_word="tokava",
        weights=weights,
    )
    return model, weights


def test_archiving_from_the_admin_releases_the_models_files(staff_client, ready_model):
    model, weights = ready_model

    response = staff_client.post(
        "/admin/studio/custommodel/",
        {"action": "archive", "_selected_action": [str(model.pk)]},
    )

    assert response.status_code == 302
    model.refresh_from_db()
    weights.refresh_from_db()
    assert model.status == CustomModelStatus.ARCHIVED
    assert weights.expires_at is not None


def test_the_change_form_cannot_set_a_name_or_a_status(staff_client, ready_model):
    model, weights = ready_model

    response = staff_client.post(
        f"/admin/studio/custommodel/{model.pk}/change/",
        {
            "name": "Ava Summer",
            "status": CustomModelStatus.ARCHIVED,
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code in (302, 403)
    model.refresh_from_db()
    weights.refresh_from_db()
    assert (model.name, model.status) == ("Ava", CustomModelStatus.READY)
    assert weights.expires_at is None
