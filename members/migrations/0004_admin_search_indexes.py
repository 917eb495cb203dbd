"""Indexes for the admin member list at 100,000 members (issue 8's benchmark), PostgreSQL only.

- The admin search (`search_fields = ("^last_name", "^first_name", "=email")`) ORs three conditions; the
  e-mail one is `UPPER(email) = UPPER('…')` (iexact), which the `LOWER(email)` index of 0001 does not serve,
  so the whole OR fell back to a scan of the table (≈100 ms for the count, as much for the page). With this
  index the three branches are a BitmapOr of the prefix indexes of 0003 and this one (≈2 ms).
- The "cotisation de l'année" filter (`a_jour`) and the directory's "listed" condition read status,
  paid_through_year and lifetime_since together: covering them lets the changelist's COUNT(*) be an
  index-only scan (≈9 ms instead of a ≈55 ms scan for the 45,000 active members not up to date).
Raw SQL (like 0003): these expression indexes are not declared on the model.
"""

from django.db import migrations

INDEXES = {
    "member_email_upper_idx": "UPPER(email)",
    "member_status_paid_life_idx": "status, paid_through_year, lifetime_since",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON members_member ({expression})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("members", "0003_directory_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
