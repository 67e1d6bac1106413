"""Key management over the API: `GET/POST /api/v1/keys/`, `DELETE /api/v1/keys/<id>/`.

Signed-in sessions only (a key cannot mint or revoke keys), team owners and admins only; the
team is the active one.
"""

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.middleware import request_workspace
from accounts.models import MANAGER_ROLES
from accounts.selectors import membership_get
from apikeys.models import APIKey, Scope
from apikeys.selectors import apikey_get_for_team, apikey_list_for_team
from apikeys.services import apikey_create, apikey_revoke
from consultation.api.permissions import SessionOnly
from consultation.exceptions import PermissionDenied


class APIKeyOutput(serializers.Serializer[APIKey]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField(source="display_prefix", help_text="The key's public start.")
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices))
    created_at = serializers.DateTimeField()
    created_by = serializers.EmailField(source="created_by.email", allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    rate_limit_per_minute = serializers.IntegerField(allow_null=True)
    status = serializers.SerializerMethodField()

    def get_status(self, api_key: APIKey) -> str:
        return str(api_key.status_at(self.context["now"]))


class APIKeyCreatedOutput(APIKeyOutput):
    key = serializers.CharField(help_text="The full key. Shown this once; store it safely.")


class APIKeyCreateInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=80)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=Scope.choices), allow_empty=False
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    rate_limit_per_minute = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class _KeysApi(APIView):
    permission_classes = [IsAuthenticated, SessionOnly]

    def _workspace(self, request: Request) -> Any:
        user, team = request_workspace(request._request)
        if membership_get(team=team, user=user).role not in MANAGER_ROLES:
            raise PermissionDenied()
        return user, team


class APIKeyListCreateApi(_KeysApi):
    @extend_schema(operation_id="keys_list", responses=APIKeyOutput(many=True))
    def get(self, request: Request) -> Response:
        _user, team = self._workspace(request)
        keys = apikey_list_for_team(team=team)
        context = {"now": timezone.now()}
        return Response(APIKeyOutput(keys, many=True, context=context).data)  # type: ignore[arg-type]

    @extend_schema(
        operation_id="keys_create",
        request=APIKeyCreateInput,
        responses={201: APIKeyCreatedOutput},
    )
    def post(self, request: Request) -> Response:
        user, team = self._workspace(request)
        serializer = APIKeyCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = apikey_create(actor=user, team=team, **serializer.validated_data)
        data = APIKeyOutput(created.api_key, context={"now": timezone.now()}).data
        return Response({**data, "key": created.key}, status=status.HTTP_201_CREATED)


class APIKeyDetailApi(_KeysApi):
    @extend_schema(
        operation_id="keys_revoke",
        responses={204: OpenApiResponse(description="Revoked (also when it already was).")},
    )
    def delete(self, request: Request, key_id: str) -> Response:
        user, team = self._workspace(request)
        apikey_revoke(actor=user, api_key=apikey_get_for_team(team=team, key_id=key_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
