"""An index on the member's e-mail as stored, PostgreSQL only (issue 8's benchmark).

The CSV import (MemberResource, `import_id_fields = ("email",)`) looks every row's member up with
`email = '…'`: the `LOWER(email)` index of 0001 does not serve that exact match, so each row scanned the
whole table (≈15 ms a row at 100,000 members: 12 minutes of lookups for a 50,000-row file).
"""

from django.db import migrations

INDEX = "member_email_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON members_member (email)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("members", "0004_admin_search_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
