"""The vote API: `POST /api/v1/debates/<id>/vote/`, a reader's vote on a finished debate
(debates.services.votes). Session or API key (scope debates:write): a key votes on its team's
debates and public ones, a signed-in person on any debate they may read."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.middleware import request_workspace
from consultation.api.permissions import DEBATES_WRITE, is_key
from consultation.exceptions import NotFound, ValidationFailed
from debates import selectors
from debates.models import Debate
from debates.services.votes import debate_vote, seat_from_letter
from ratings.models import HumanVote, VoteChoice


class VoteInput(serializers.Serializer[Any]):
    choice = serializers.ChoiceField(choices=VoteChoice.choices)
    seat = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2,
        help_text='The best seat\'s letter ("A", "B", …), with choice "seat".',
    )
    blind = serializers.BooleanField(
        default=False,
        help_text="True only if your client showed the seats anonymised (no model names) "
        "until this vote. The debate's API representation names the models, so the default "
        "is false: such a vote is kept but not counted on the readers' board.",
    )


class VoteOutput(serializers.Serializer[HumanVote]):
    debate = serializers.UUIDField(source="debate_id")
    choice = serializers.CharField()
    seat = serializers.SerializerMethodField()
    blind = serializers.BooleanField(help_text="Counted on the readers' board.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_seat(self, vote: HumanVote) -> str | None:
        return None if vote.seat is None else chr(ord("A") + vote.seat)


def _votable(request: Request, debate_id: str) -> Debate:
    """A key votes on its team's debates (and public ones); a person signed in on any debate
    they may read, as on the pages."""
    user, team = request_workspace(request._request)
    if not is_key(request.auth):
        return selectors.debate_get_for_viewer(user=user, debate_id=debate_id)[0]
    try:
        return selectors.debate_get_for_user(user=user, team=team, debate_id=debate_id)
    except NotFound:
        return selectors.debate_get_public(debate_id=debate_id)


class DebateVoteApi(APIView):
    required_scopes = {"POST": DEBATES_WRITE}

    @extend_schema(
        operation_id="debates_vote",
        request=VoteInput,
        responses={200: VoteOutput, 201: VoteOutput},
        description='Vote for the best seat of a finished debate, or a tie, or "all bad": '
        "one vote per person and debate, changeable (201 the first time, 200 after). At most "
        "10 votes a minute per person (429 `rate_limited`); 409 `conflict` for a debate that "
        "takes no votes (not finished with an answer, or deleted).",
    )
    def post(self, request: Request, debate_id: str) -> Response:
        debate = _votable(request, debate_id)
        data = VoteInput(data=request.data)
        if not data.is_valid():
            raise ValidationFailed(
                fields={name: [str(e) for e in errors] for name, errors in data.errors.items()}
            )
        values = data.validated_data
        seat = None
        if values["choice"] == VoteChoice.SEAT:
            seat = seat_from_letter(debate, values.get("seat") or "")
        user = request_workspace(request._request)[0]
        vote, created = debate_vote(
            actor=user,
            debate=debate,
            choice=values["choice"],
            seat=seat,
            client_blind=values["blind"],
        )
        return Response(
            VoteOutput(vote).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
