"""Removing a member, a member leaving and deleting an account used to leave the person's API
keys working; those already left behind are revoked here, as the services now do at once."""

from django.db import migrations
from django.db.models import Exists, OuterRef
from django.utils import timezone


def revoke_keys_of_former_members(apps, schema_editor):
    ApiKey = apps.get_model("accounts", "ApiKey")
    TeamMember = apps.get_model("teams", "TeamMember")
    ActivityLog = apps.get_model("teams", "ActivityLog")
    creator_still_member = TeamMember.objects.filter(
        team_id=OuterRef("team_id"), user_id=OuterRef("created_by_id")
    )
    keys = list(
        ApiKey.objects.filter(revoked_at__isnull=True, created_by__isnull=False).exclude(
            Exists(creator_still_member)
        )
    )
    now = timezone.now()
    ApiKey.objects.filter(pk__in=[key.pk for key in keys]).update(revoked_at=now, updated_at=now)
    ActivityLog.objects.bulk_create(
        ActivityLog(
            team_id=key.team_id,
            action="revoke_api_key",
            metadata={"name": key.name, "prefix": key.prefix, "reason": "former_member"},
            created_at=now,
        )
        for key in keys
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_email_verified_at"),
        ("teams", "0004_action_verify_email"),
    ]

    operations = [migrations.RunPython(revoke_keys_of_former_members, migrations.RunPython.noop)]
