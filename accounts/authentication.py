from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.models import ApiToken


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` against ApiToken, in one hand-written statement.

    Every API call pays for this; building the ORM query costs several times what PostgreSQL
    spends answering it. The statement finds the token by the hash of the key, joins its user,
    and in the same round trip stamps last_used_at, guarded so that the row is written at most
    once per LAST_USED_RESOLUTION (and never for an expired token). Unknown key, expired token or
    inactive user → 401. `request.auth` is the ApiToken (id, user_id, expires_at loaded).
    """

    model = ApiToken

    def authenticate_credentials(self, key):
        user_model = get_user_model()
        fields = [f.attname for f in user_model._meta.concrete_fields]
        columns = ", ".join(f'u."{user_model._meta.get_field(name).column}"' for name in fields)
        tokens, users = ApiToken._meta.db_table, user_model._meta.db_table
        now = timezone.now()
        key_hash = ApiToken.hash_key(key)
        sql = (f'WITH touched AS (UPDATE "{tokens}" SET "last_used_at" = %s WHERE "key_hash" = %s '
               f'AND ("last_used_at" IS NULL OR "last_used_at" < %s) AND ("expires_at" IS NULL OR "expires_at" > %s)) '
               f'SELECT t."id", t."expires_at", {columns} FROM "{tokens}" t '
               f'JOIN "{users}" u ON u."id" = t."user_id" WHERE t."key_hash" = %s')
        with connection.cursor() as cursor:
            cursor.execute(sql, [now, key_hash, now - ApiToken.LAST_USED_RESOLUTION, now, key_hash])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token_id, expires_at, user_row = row[0], row[1], row[2:]
        if expires_at is not None and expires_at <= now:
            raise exceptions.AuthenticationFailed(_("This token has expired."), code="token_expired")
        user = user_model.from_db(connection.alias, fields, user_row)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = ApiToken.from_db(connection.alias, ["id", "user_id", "expires_at"], [token_id, user.pk, expires_at])
        return user, token
