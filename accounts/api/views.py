from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from core.exceptions import ValidationFailed


class TokenRequestSerializer(serializers.Serializer):
    login = serializers.CharField(help_text=_("Phone number or e-mail address"))
    password = serializers.CharField(style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    user_id = serializers.IntegerField()
    display_name = serializers.CharField()


class LoginThrottle(AnonRateThrottle):
    rate = "20/min"


class ObtainTokenView(APIView):
    """Exchange a login (phone or e-mail) and password for an API token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    @extend_schema(request=TokenRequestSerializer, responses=TokenSerializer, tags=["auth"])
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, login=data.validated_data["login"], password=data.validated_data["password"])
        if user is None:
            raise ValidationFailed(_("The login or password is not right."), code="invalid_credentials")
        token, _created = Token.objects.get_or_create(user=user)
        return Response(TokenSerializer({"token": token.key, "user_id": user.pk, "display_name": user.display_name}).data)
