from django.db.models import QuerySet

from accounts.models import ApiToken, User


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's API tokens, newest first (never their keys: only hashes are stored)."""
    return ApiToken.objects.filter(user=user).only("id", "user_id", "name", "created_at", "last_used_at", "expires_at")
