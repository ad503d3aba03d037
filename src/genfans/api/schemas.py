"""Schemas several routers answer or accept with."""

from ninja import Schema

from genfans.api.jobs import JobOut
from genfans.credits.calculator import QUALITIES

# The quality levels a job takes, as the calculator prices them.
QUALITY_PATTERN = f"^({'|'.join(QUALITIES)})$"


class JobEnvelope(Schema):
    job: JobOut
