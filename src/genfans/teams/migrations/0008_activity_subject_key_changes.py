"""Activity rows name the person acted on by key (`subject_user`), carry the API key a request
came with, and keep old and new values in `changes`. Existing rows move over: a member's email
in metadata becomes `subject_user` where an account still has that address, and leaves the
metadata in every case (a person no live account has is a former member); a role change's
from/to become `changes`; jobs a key submitted name that key. Reversing keeps the new shape."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SUBJECT_ACTIONS = ("remove_team_member", "change_role")
JOB_ACTIONS = ("generate", "generate_video", "face_swap", "create_model", "refine_model")


def move_people_to_keys(apps, schema_editor):
    ActivityLog = apps.get_model("teams", "ActivityLog")
    User = apps.get_model("accounts", "User")
    Job = apps.get_model("studio", "Job")
    rows = ActivityLog.objects.filter(action__in=SUBJECT_ACTIONS, metadata__has_key="member")
    for row in rows.iterator():
        metadata = dict(row.metadata)
        email = metadata.pop("member") or ""
        row.subject_user_id = (
            User.objects.filter(email__iexact=email, deleted_at__isnull=True)
            .values_list("pk", flat=True)
            .first()
        )
        if row.action == "change_role":
            row.changes = {"role": [metadata.pop("from", None), metadata.pop("to", None)]}
        row.metadata = metadata
        row.save(update_fields=["subject_user", "metadata", "changes"])
    keyless = ActivityLog.objects.filter(
        action__in=JOB_ACTIONS, user__isnull=True, metadata__has_key="job_id"
    )
    for row in keyless.iterator():
        row.api_key_id = (
            Job.objects.filter(pk=row.metadata["job_id"]).values_list("api_key_id", flat=True).first()
        )
        if row.api_key_id:
            row.save(update_fields=["api_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_database_cache_table"),
        ("studio", "0005_job_api_key"),
        ("teams", "0007_action_export_data"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="activitylog",
            name="subject_user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="activitylog",
            name="api_key",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="accounts.apikey",
            ),
        ),
        migrations.AddField(
            model_name="activitylog",
            name="changes",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(move_people_to_keys, migrations.RunPython.noop),
    ]
