"""Issue 13 (8): no storage call runs while the transaction holds a row lock.

Every storage call of a job's life (uploads, the training zip and thumbnail, the outputs'
writes, the video probe) is recorded with the locks its transaction held at that moment, as
`core.locks` records them: the slot and balance locks of a submit, the reservation and balance
of a finish. Not timed: a call made under a lock is seen whatever the machine's speed."""

import pytest
from django.core.files.storage import default_storage

from genfans.core import locks
from genfans.core.locks import LockOrderError, lock_noted, locks_held, rows_locked
from genfans.storage.models import Asset, AssetKind
from genfans.studio.models import Job, JobStatus, ModelVersion
from tests.studio.helpers import create_model, upload, uploads


@pytest.fixture
def storage_calls(monkeypatch):
    calls = []
    for name in ("open", "save", "delete"):
        real = getattr(default_storage, name)

        def recorded(*args, _real=real, _name=name, **kwargs):
            calls.append((_name, str(args[0]) if args else "", locks_held()))
            return _real(*args, **kwargs)

        monkeypatch.setattr(default_storage, name, recorded)
    return calls


def _under_a_lock(calls):
    return [call for call in calls if call[2]]


def _image_job(client, reference_model):
    body = {
        "model_id": str(reference_model.pk),
        "prompt": "studio portrait",
        "num_images": 2,
        "width": 512,
        "height": 512,
        "quality": "draft",
    }
    response = client.post("/api/generate", body, content_type="application/json")
    assert response.status_code == 202, response.content
    return response.json()["job"]["id"]


def test_no_storage_call_of_image_video_and_training_jobs_runs_under_a_lock(
    engine, pro_team_client, reference_model, storage_calls
):
    team, client = pro_team_client
    image_job = _image_job(client, reference_model)
    engine.drain()
    image = Asset.objects.filter(job_id=image_job, kind=AssetKind.IMAGE).first()

    video = client.post(
        "/api/videos",
        {"image_asset_id": str(image.pk), "prompt": "slow turn", "duration_s": 5},
        content_type="application/json",
    )
    assert video.status_code == 202, video.content
    swap = client.post(
        "/api/face-swap",
        {"target_upload_id": upload(client, size=(300, 400)), "face_upload_id": upload(client)},
        content_type="application/json",
    )
    assert swap.status_code == 202, swap.content
    model = create_model(client, reference_model, uploads(client, 4))
    assert model.status_code == 202, model.content
    engine.drain()
    refine = client.post(
        f"/api/models/{model.json()['model']['id']}/refine",
        {"instructions": "shorter hair", "upload_ids": uploads(client, 1)},
        content_type="application/json",
    )
    assert refine.status_code == 202, refine.content
    engine.drain()

    jobs = Job.objects.filter(team=team)
    assert set(jobs.values_list("status", flat=True)) == {JobStatus.SUCCEEDED}
    types = set(jobs.values_list("type", flat=True))
    assert types == {
        "image_generation",
        "video_generation",
        "face_swap",
        "model_creation",
        "model_refinement",
    }
    # The calls this test is about happened: zips were written, outputs saved, videos stored.
    saved = [key for name, key, _ in storage_calls if name == "save"]
    assert any("/archive/" in key for key in saved) and any("/video/" in key for key in saved)
    assert _under_a_lock(storage_calls) == []
    # What used to be read back from storage under the balance lock is still recorded.
    clip = Asset.objects.get(kind=AssetKind.VIDEO)
    assert clip.duration == pytest.approx(5, abs=0.2) and clip.width
    composite = Asset.objects.get(job__type="face_swap", kind=AssetKind.IMAGE)
    assert composite.width and composite.height
    version = ModelVersion.objects.filter(number=1).get()
    assert version.archive is not None and version.model.thumbnail is not None


def test_a_finish_that_finds_nothing_to_do_deletes_the_files_it_wrote(
    engine, team_client, reference_model, storage_calls
):
    from genfans.providers.base import ProviderOutput, ProviderState, ProviderStatus
    from genfans.studio.engine.services import job_finish

    _, client = team_client
    job_id = _image_job(client, reference_model)
    engine.drain()
    job = Job.objects.select_related("team").get(pk=job_id)
    output = ProviderOutput(url="x", content_type="image/jpeg", width=1, height=1)
    status = ProviderStatus(state=ProviderState.COMPLETED, outputs=(output,))
    before = Asset.objects.count()
    storage_calls.clear()
    assert job_finish(job=job, outputs=[(output, b"late")], status=status) is False
    assert Asset.objects.count() == before
    [written] = [key for name, key, _ in storage_calls if name == "save"]
    assert ("delete", written, ()) in storage_calls
    assert not default_storage.exists(written)


# --- the lock helper ------------------------------------------------------------------------


def test_locks_are_recorded_for_the_transaction_and_forgotten_after_it(transactional_db):
    from django.db import transaction

    from genfans.studio.models import TeamSlots

    with transaction.atomic():
        list(rows_locked("slots", TeamSlots.objects.all()))
        lock_noted("balance")
        lock_noted("slots")  # held already: taking it again is no new wait
        assert locks_held() == ("slots", "balance")
        with pytest.raises(LockOrderError):
            lock_noted("team")
    assert locks_held() == ()
    with transaction.atomic():
        assert locks_held() == ()
        lock_noted("team")
        lock_noted("balance")
    with pytest.raises(RuntimeError), transaction.atomic():
        lock_noted("balance")
        raise RuntimeError
    with transaction.atomic():
        lock_noted("team")  # the rolled-back transaction's balance lock is gone
        assert locks_held() == ("team",)


def test_a_lock_is_for_update_of_its_own_table_in_pk_order(transactional_db):
    from django.db import connection, transaction

    from genfans.teams.models import Team

    with transaction.atomic():
        locked = rows_locked("team", Team.objects.select_related("plan"))
        sql = locked.query.get_compiler(connection=connection).as_sql()[0]
    assert locked.query.select_for_update_of == ("self",)
    assert sql.endswith(('ORDER BY "teams_team"."id" ASC', 'FOR UPDATE OF "teams_team"'))
    assert locks.ORDER.index("slots") < locks.ORDER.index("reservation")
    assert locks.ORDER.index("reservation") < locks.ORDER.index("balance")
