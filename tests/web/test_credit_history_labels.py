"""The Credits page names every line in words: what a job was, and what each other kind of
ledger row means (never its internal key), including the rows of a job deleted since."""

from types import SimpleNamespace

import pytest

from genfans.credits.models import Kind
from genfans.studio.models import Job, JobType
from genfans.web.views.credits import _job_label, _ledger_label


@pytest.mark.parametrize(
    ("job_type", "params", "label"),
    [
        (JobType.IMAGE_GENERATION, {"num_images": 1}, "1 image"),
        (JobType.IMAGE_GENERATION, {"num_images": 8, "model_name": "Ava"}, "8 images · Ava"),
        (JobType.VIDEO_GENERATION, {"duration_s": 5}, "Video 5 s"),
        (JobType.MODEL_CREATION, {"model_name": "Mia"}, "Model training · Mia"),
        (JobType.MODEL_REFINEMENT, {}, "Model refinement"),
        (JobType.FACE_SWAP, {}, "Face swap"),
    ],
)
def test_a_jobs_line_says_what_the_job_was(job_type, params, label):
    assert _job_label(Job(type=job_type, params=params)) == label


def _row(kind, key="", reference=""):
    return SimpleNamespace(
        kind=kind,
        idempotency_key=key,
        reference=reference,
        get_kind_display=lambda: Kind(kind).label,
    )


@pytest.mark.parametrize(
    ("row", "label"),
    [
        (_row(Kind.GRANT, "pack:1", "credit pack starter"), "Bought the Starter credit pack"),
        (_row(Kind.GRANT, "pack:1"), "Bought a credit pack"),
        (_row(Kind.GRANT, "free:person:ab"), "Free credits for verifying your email"),
        (_row(Kind.GRANT, "staff:1"), "Credits added"),
        (_row(Kind.REPLENISH), "Monthly plan credits"),
        (_row(Kind.ADJUST), "Adjusted by GenFans support"),
        (_row(Kind.EXPIRE), "Unused plan credits expired with the period"),
        (_row(Kind.REFUND, reference="credit pack studio"), "Refund of the Studio credit pack"),
        (_row(Kind.REFUND), "Refund of a credit pack"),
        (_row(Kind.RESERVE), "Held for a job"),
        (_row(Kind.CAPTURE), "A job's cost"),
        (_row(Kind.RELEASE), "Returned from a job"),
    ],
)
def test_every_other_row_is_named_in_words(row, label):
    assert _ledger_label(row) == label
    assert "pack:" not in label and "dev-" not in label
