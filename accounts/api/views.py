from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.forms import ProfileForm
from accounts.lockout import lockout_of
from accounts.models import ApiToken, User
from accounts.services import API_TOKEN_MAX_DAYS
from core.api import ErrorSerializer, error_responses
from core.exceptions import TooManyAttempts, ValidationFailed
from core.throttling import AnonRateThrottle

RETRY_AFTER = OpenApiParameter(
    "Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[429],
    description=_("Seconds until a new attempt can succeed."),
)


class TokenRequestSerializer(serializers.Serializer):
    login = serializers.CharField(max_length=254, help_text=_("Phone number or e-mail address"))
    password = serializers.CharField(style={"input_type": "password"})
    name = serializers.CharField(required=False, allow_blank=True, max_length=60,
                                 help_text=_("What the token is for, shown in the token list"))
    expires_in_days = serializers.IntegerField(required=False, min_value=1, max_value=API_TOKEN_MAX_DAYS,
                                               help_text=_("The token stops working after this many days; "
                                                           "without it, it works until revoked"))


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("The key, for `Authorization: Token <key>`. Shown only this once."))
    id = serializers.IntegerField(help_text=_("The token's id, to revoke it"))
    name = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    user_id = serializers.IntegerField()
    display_name = serializers.CharField()


class ApiTokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(
        allow_null=True, help_text=_("Updated at most every few minutes; null if never used"))
    expires_at = serializers.DateTimeField(allow_null=True)


class LoginThrottle(AnonRateThrottle):
    """A bound on attempts per client address, successful ones included (password hashing costs CPU);
    failed logins have their own, stricter limits (accounts.lockout)."""

    scope = "login"


class ObtainTokenView(APIView):
    """Exchange a login (phone or e-mail) and password for a new API token.

    Each call makes a new token; list and revoke them under /auth/tokens/. Failed attempts are
    limited per account and per client address: past the limit the answer is 429, even with the
    right password, until the cool-off is over.
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    @extend_schema(
        request=TokenRequestSerializer, tags=["auth"], parameters=[RETRY_AFTER],
        responses={200: TokenSerializer,
                   400: OpenApiResponse(ErrorSerializer,
                                        description=_("Missing or invalid fields (code invalid), or the login or "
                                                      "password is not right (code invalid_credentials)")),
                   429: OpenApiResponse(ErrorSerializer,
                                        description=_("Too many failed logins for this account or from this "
                                                      "address (code too_many_attempts), or too many requests "
                                                      "(code throttled); see Retry-After"))},
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, login=data.validated_data["login"], password=data.validated_data["password"])
        if user is None:
            lockout = lockout_of(request)
            if lockout is not None:
                raise TooManyAttempts(lockout.message, retry_after=lockout.seconds)
            raise ValidationFailed(_("The login or password is not right."), code="invalid_credentials")
        token, key = services.api_token_create(user=user, name=data.validated_data.get("name", ""),
                                               expires_in_days=data.validated_data.get("expires_in_days"))
        # A token exchange is a login: last_login is stamped and the account's failed attempts cleared.
        user_logged_in.send(sender=type(user), request=request, user=user)
        return Response(TokenSerializer({
            "token": key, "id": token.pk, "name": token.name, "created_at": token.created_at,
            "expires_at": token.expires_at, "user_id": user.pk, "display_name": user.display_name,
        }).data)


@extend_schema(tags=["auth"], responses={200: ApiTokenSerializer, **error_responses(401)})
class ApiTokenListView(generics.ListAPIView):
    """My API tokens, newest first. Keys are never shown again after they are made."""

    serializer_class = ApiTokenSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return ApiToken.objects.none()
        return selectors.api_token_list(user=self.request.user)


class ApiTokenDetailView(APIView):
    @extend_schema(tags=["auth"], request=None,
                   responses={204: OpenApiResponse(description=_("Revoked")), **error_responses(401, 404)})
    def delete(self, request, token_id):
        """Revoke one of my tokens (it stops working at once). Another user's token is not found."""
        services.api_token_revoke(user=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# My profile ----------------------------------------------------------------------------------

_PROFILE_FIELDS = ProfileForm.base_fields  # the page's form: the API's limits and choices are its own


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField(help_text=_("How other members see you"))
    email = serializers.EmailField(allow_null=True)
    phone = serializers.CharField(allow_null=True)
    language = serializers.CharField(help_text=_("A language code (zh-hans, en); empty: the browser's"))
    date_joined = serializers.DateTimeField()


class ProfileUpdateSerializer(serializers.Serializer):
    """The JSON types of a profile change; the rules are the profile page's form's (ProfileForm)."""

    display_name = serializers.CharField(required=False, max_length=_PROFILE_FIELDS["display_name"].max_length)
    email = serializers.EmailField(required=False, allow_null=True, allow_blank=True, max_length=254,
                                   help_text=_("Empty or null removes it (a phone number must remain)"))
    phone = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                  max_length=_PROFILE_FIELDS["phone"].max_length,
                                  help_text=_("Empty or null removes it (an e-mail address must remain)"))
    language = serializers.ChoiceField(required=False, allow_blank=True, choices=_PROFILE_FIELDS["language"].choices,
                                       help_text=_("Empty: the browser's language"))


def _me(user) -> dict:
    return MeSerializer(user).data


class MeView(APIView):
    """My profile: name, e-mail, phone and language, read and changed under the profile page's rules."""

    @extend_schema(tags=["me"], summary=_("My profile"), responses={200: MeSerializer, **error_responses(401)})
    def get(self, request):
        return Response(_me(request.user))

    @extend_schema(tags=["me"], summary=_("Change my profile"), request=ProfileUpdateSerializer,
                   responses={200: MeSerializer,
                              409: OpenApiResponse(ErrorSerializer, description=_(
                                  "Another account uses this phone number or e-mail address (code account_exists)")),
                              **error_responses(400, 401)})
    def patch(self, request):
        """Change what is sent, keep the rest. A phone number or an e-mail address must remain (to log in)."""
        data = ProfileUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        values = {"display_name": user.display_name, "email": user.email or "", "phone": user.phone or "",
                  "language": user.language}
        values.update({key: value or "" for key, value in data.validated_data.items()})
        form = ProfileForm(data=values)
        if not form.is_valid():
            fields = {key: [str(message) for message in messages] for key, messages in form.errors.items()}
            general = fields.pop("__all__", None)
            raise ValidationFailed(general[0] if general else _("Some fields are not valid."), fields=fields)
        # A copy: a refused change must not leave the request's user half-changed in memory.
        user = services.user_update_profile(user=User.objects.get(pk=user.pk), **form.cleaned_data)
        return Response(_me(user))
