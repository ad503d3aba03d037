from django.db import migrations


class Migration(migrations.Migration):
    """The scheduler's rows belong to core (core/scheduler.py); the table moves with them in
    core's 0002, so here the model only leaves studio's state."""

    dependencies = [
        ("studio", "0005_job_api_key"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ScheduledRun")],
            database_operations=[],
        ),
    ]
