from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.middleware import request_team
from accounts.models import User
from accounts.selectors import team_list_for_user
from consultation.api.permissions import ANY_SCOPE


class TeamOutput(serializers.Serializer[object]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    is_personal = serializers.BooleanField()


class MeOutput(serializers.Serializer[object]):
    email = serializers.EmailField()
    handle = serializers.CharField(source="profile.handle")
    display_name = serializers.CharField(source="profile.display_name")
    locale = serializers.CharField(source="profile.locale")
    timezone = serializers.CharField(source="profile.timezone")
    active_team = TeamOutput()
    teams = TeamOutput(many=True)


class MeApi(APIView):
    """The signed-in account: profile, active team and every team it belongs to."""

    # Any key may ask who it acts as (its active team is the key's).
    required_scopes = {"GET": ANY_SCOPE}

    @extend_schema(responses=MeOutput, operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)
        # The team first: resolving it gives an account made outside sign-up its profile.
        active_team = request_team(request._request)
        data = {
            "email": user.email,
            "profile": user.profile,
            "active_team": active_team,
            # A key acts for its team alone: it sees no other team of its creator.
            "teams": [active_team] if request.auth is not None else team_list_for_user(user=user),
        }
        return Response(MeOutput(data).data)
