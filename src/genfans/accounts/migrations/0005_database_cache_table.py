"""The database cache's table (sign-in throttling) when no REDIS_URL is set, so
`genfans migrate` alone readies a new database. A deployment that later drops Redis for the
database cache runs `genfans createcachetable` once."""

from django.core.management import call_command
from django.db import migrations


def cache_tables_create(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_email_verified_at"),
    ]

    operations = [
        migrations.RunPython(cache_tables_create, migrations.RunPython.noop),
    ]
