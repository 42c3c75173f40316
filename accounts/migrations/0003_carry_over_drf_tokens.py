"""Carry DRF's authtoken tokens (one per user, key in clear) over to ApiToken (key hashed).

Clients keep their key: only its SHA-256 is stored, so the same `Authorization: Token <key>`
keeps working. The old table is then dropped, since it holds live keys in clear, and its
migration records with it (rest_framework.authtoken is no longer installed). A database that
never had the table (a new one) has nothing to carry. There is no way back: the clear keys are gone.
"""

import hashlib

from django.db import migrations

OLD_TABLE = "authtoken_token"


def carry_over_drf_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "key", "user_id", "created" FROM "{OLD_TABLE}"')
        rows = cursor.fetchall()
    ApiToken.objects.using(connection.alias).bulk_create([
        ApiToken(user_id=user_id, key_hash=hashlib.sha256(key.encode()).hexdigest(), created_at=created)
        for key, user_id, created in rows
    ])
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE "{OLD_TABLE}"')
        cursor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_api_token"),
    ]

    operations = [
        migrations.RunPython(carry_over_drf_tokens, migrations.RunPython.noop),
    ]
