from django.db import migrations, models


class Migration(migrations.Migration):
    """ScheduledRun comes from studio with its rows: adopted in state on studio's table, then
    the table is renamed to core's."""

    dependencies = [
        ("core", "0001_rate_counter"),
        ("studio", "0006_scheduledrun_moves_to_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ScheduledRun",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=64)),
                        ("slot", models.DateTimeField()),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "db_table": "studio_scheduledrun",
                        "constraints": [models.UniqueConstraint(fields=("name", "slot"), name="scheduled_run_unique_slot")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="scheduledrun", table=None),
    ]
