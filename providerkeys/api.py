"""The provider keys page over the API, for parity: `GET /api/v1/provider-keys/`,
`PUT`/`DELETE /api/v1/provider-keys/<provider>/`, `POST .../<provider>/test/`.

Signed-in sessions only (an API key cannot read or change the credentials that pay for calls),
for the active team; every member may list, owners and admins change. No answer ever carries a
secret: `hint` is its last four characters.
"""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.middleware import request_workspace
from accounts.models import Membership, Team, User
from accounts.selectors import membership_get
from consultation.api.permissions import SessionOnly
from providerkeys import selectors, services
from providerkeys.models import KeyProvider, KeyStatus, ProviderKey
from providerkeys.probe import key_test


class ProviderKeyOutput(serializers.Serializer[ProviderKey]):
    provider = serializers.ChoiceField(choices=KeyProvider.choices)
    hint = serializers.CharField(help_text="The key's last four characters ('' if short).")
    base_url = serializers.CharField(help_text="OpenAI-compatible endpoints only.")
    status = serializers.ChoiceField(choices=KeyStatus.choices)
    checked_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(help_text="What the provider said when it refused it.")
    last_error_code = serializers.CharField()
    last_error_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.EmailField(source="created_by.email", allow_null=True)
    updated_at = serializers.DateTimeField()


class ProviderKeyInput(serializers.Serializer[Any]):
    secret = serializers.CharField(
        max_length=500, allow_blank=True, write_only=True, help_text="Never returned."
    )
    base_url = serializers.CharField(max_length=300, allow_blank=True, required=False)


class ProviderKeyTestOutput(serializers.Serializer[Any]):
    ok = serializers.BooleanField()
    code = serializers.CharField(help_text="The provider error's code when not ok.")
    reason = serializers.CharField(help_text="What the provider said, the secret redacted.")
    key = ProviderKeyOutput()


class _ProviderKeysApi(APIView):
    permission_classes = [IsAuthenticated, SessionOnly]

    def _workspace(self, request: Request, *, manage: bool) -> tuple[User, Team, Membership]:
        user, team = request_workspace(request._request)
        membership = membership_get(team=team, user=user)
        if manage:
            selectors.key_manage_check(membership=membership)
        return user, team, membership


class ProviderKeyListApi(_ProviderKeysApi):
    @extend_schema(operation_id="provider_keys_list", responses=ProviderKeyOutput(many=True))
    def get(self, request: Request) -> Response:
        _user, team, _membership = self._workspace(request, manage=False)
        keys = selectors.key_list_for_team(team=team)
        return Response(ProviderKeyOutput(keys, many=True).data)  # type: ignore[arg-type]


class ProviderKeyDetailApi(_ProviderKeysApi):
    @extend_schema(
        operation_id="provider_keys_put",
        request=ProviderKeyInput,
        responses={200: ProviderKeyOutput},
    )
    def put(self, request: Request, provider: str) -> Response:
        user, team, _membership = self._workspace(request, manage=True)
        serializer = ProviderKeyInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = services.key_save(
            actor=user, team=team, provider=provider, **serializer.validated_data
        )
        return Response(ProviderKeyOutput(key).data)

    @extend_schema(
        operation_id="provider_keys_delete",
        responses={204: OpenApiResponse(description="Removed.")},
    )
    def delete(self, request: Request, provider: str) -> Response:
        user, team, _membership = self._workspace(request, manage=True)
        services.key_remove(actor=user, key=selectors.key_get(team=team, provider=provider))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProviderKeyTestApi(_ProviderKeysApi):
    @extend_schema(operation_id="provider_keys_test", request=None, responses=ProviderKeyTestOutput)
    def post(self, request: Request, provider: str) -> Response:
        _user, team, _membership = self._workspace(request, manage=True)
        key = selectors.key_get(team=team, provider=provider)
        result = key_test(key=key)
        key.refresh_from_db()
        data = {"ok": result.ok, "code": result.code, "reason": result.reason, "key": key}
        return Response(ProviderKeyTestOutput(data).data)
