"""Trigram indexes so the report's "email or name contains" search stays fast at 100,000 rows.

PostgreSQL only, and only where the pg_trgm extension may be created: elsewhere the search still
works, by scanning the job's rows.
"""

from django.db import DatabaseError, migrations, transaction

INDEXES = {
    "report_email_trgm": "UPPER(email) gin_trgm_ops",
    "report_name_trgm": "UPPER(display_name) gin_trgm_ops",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        try:
            with transaction.atomic(using=schema_editor.connection.alias):  # a savepoint to fall back to
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError:  # no privilege to add extensions: the search works without the index
            return
        for name, expression in INDEXES.items():
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON onboarding_syncreportrow USING gin ({expression})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("onboarding", "0002_report_indexes")]
    operations = [migrations.RunPython(create, drop)]
