from django.db import migrations


def create_free_plan(apps, schema_editor):
    # Every team starts on the free plan, so it must exist before anyone can sign up;
    # `genfans seed` fills in the paid plans and keeps all of them up to date.
    Plan = apps.get_model("billing", "Plan")
    Plan.objects.get_or_create(
        code="free",
        defaults={
            "name": "Free",
            "monthly_credits": 50,
            "max_concurrent_jobs": 1,
            "queue_priority": 0,
            "max_queued_jobs": 5,
            "price_cents": 0,
            "trial_days": 0,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(create_free_plan, migrations.RunPython.noop)]
