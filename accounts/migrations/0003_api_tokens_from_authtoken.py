"""Move the plain-text tokens of rest_framework.authtoken (used until 2026-12) into ApiTokens.

Each old key becomes a token whose digest is the hash of that same key, so scripts holding it keep
working with `Authorization: Token <key>`; then the plain-text rows are deleted. The old app is no
longer installed, so its table is read with SQL, and only when it exists.
"""

from datetime import UTC, timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime

OLD_TABLE = "authtoken_token"
NAME = "Token from before hashed tokens"


def copy_old_tokens(apps, schema_editor) -> int:
    """Returns how many tokens were moved."""
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return 0
    ApiToken = apps.get_model("accounts", "ApiToken")
    quoted = connection.ops.quote_name(OLD_TABLE)
    with connection.cursor() as cursor:
        key_column = connection.ops.quote_name("key")
        cursor.execute(f"SELECT {key_column}, user_id, created FROM {quoted}")  # noqa: S608
        rows = cursor.fetchall()
    expiry = timezone.now() + timedelta(days=settings.API_TOKEN_DAYS)
    for key, user_id, created in rows:
        digest = hash_token(key)
        if ApiToken.objects.filter(digest=digest).exists():
            continue
        token = ApiToken(
            digest=digest,
            token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
            user_id=user_id,
            expiry=expiry,
            name=NAME,
        )
        token.save()
        if isinstance(created, str):
            created = parse_datetime(created)  # SQLite hands back text
        if created is not None:
            if timezone.is_naive(created):
                created = timezone.make_aware(created, UTC)  # Django stores UTC
            ApiToken.objects.filter(pk=token.pk).update(created=created)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {quoted}")  # noqa: S608  the keys must not stay in plain text
    return len(rows)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_api_tokens")]

    operations = [migrations.RunPython(copy_old_tokens, migrations.RunPython.noop, elidable=False)]
