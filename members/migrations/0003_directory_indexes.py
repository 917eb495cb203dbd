"""Indexes for the directory's searches on PostgreSQL (indexes only; nothing on SQLite).

Django turns `istartswith` into `UPPER(col::text) LIKE UPPER('dup%')` and `icontains` into
`UPPER(col::text) LIKE UPPER('%saf%')`: the plain B-tree indexes of 0001 serve neither. Prefix searches
(last name, first name, city) get B-tree indexes on UPPER(col) with text_pattern_ops; the employer,
searched anywhere in the name, a trigram GIN index (pg_trgm, a trusted extension since PostgreSQL 13).
When the extension cannot be created (no privilege), the trigram index is skipped and the search still
works, by a scan of the listed members.
"""

from django.db import DatabaseError, migrations, transaction

PATTERN_INDEXES = {
    "member_last_name_prefix_idx": "UPPER(last_name) text_pattern_ops",
    "member_first_name_prefix_idx": "UPPER(first_name) text_pattern_ops",
    "member_city_prefix_idx": "UPPER(city) text_pattern_ops",
}
TRIGRAM_INDEX = "member_employer_trgm_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in PATTERN_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON members_member ({expression})")
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:  # no privilege: keep the other indexes, skip the trigram one
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON members_member USING gin (UPPER(employer) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [*PATTERN_INDEXES, TRIGRAM_INDEX]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("members", "0002_dues")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
