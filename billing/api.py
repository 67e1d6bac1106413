"""The usage API: the active team's period, plan, limits and usage, by day and by model."""

from datetime import date
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.middleware import request_workspace
from billing.selectors import MAX_RANGE_DAYS, UsageReport, usage_report_for_team
from consultation.api.permissions import USAGE_READ, KeyScopes


class UsageQueryInput(serializers.Serializer[Any]):
    """`?from=&to=`: ISO dates (UTC days, both included). `from` is a Python keyword, so the
    fields are declared in get_fields."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            "from": serializers.DateField(required=False),
            "to": serializers.DateField(required=False),
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        first: date | None = attrs.get("from")
        last: date | None = attrs.get("to")
        if first is not None and last is not None:
            if first > last:
                raise serializers.ValidationError({"to": ["`to` must not be before `from`."]})
            if (last - first).days + 1 > MAX_RANGE_DAYS:
                raise serializers.ValidationError(
                    {"to": [f"Ask for at most {MAX_RANGE_DAYS} days at a time."]}
                )
        elif (first is None) != (last is None):
            missing = "to" if last is None else "from"
            raise serializers.ValidationError({missing: ["Give both `from` and `to`, or neither."]})
        return attrs


class PeriodOutput(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="Exclusive: the quotas reset then.")


class PlanOutput(serializers.Serializer[Any]):
    slug = serializers.CharField()
    name = serializers.CharField()
    price_usd = serializers.DecimalField(max_digits=8, decimal_places=2)


class LimitsOutput(serializers.Serializer[Any]):
    debates = serializers.IntegerField(allow_null=True, help_text="null: unlimited")
    tokens = serializers.IntegerField(allow_null=True, help_text="null: unlimited")
    cost_usd = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="null: unlimited"
    )


class UsedOutput(serializers.Serializer[Any]):
    debates = serializers.IntegerField()
    tokens = serializers.IntegerField()
    cost_usd = serializers.DecimalField(max_digits=14, decimal_places=6)


class RangeOutput(serializers.Serializer[Any]):
    # `from` is a keyword: declared in get_fields, like the input.
    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {"from": serializers.DateField(), "to": serializers.DateField()}


class DayOutput(serializers.Serializer[Any]):
    date = serializers.DateField(source="day")
    calls = serializers.IntegerField()
    tokens = serializers.IntegerField()
    cost_usd = serializers.DecimalField(max_digits=14, decimal_places=6)


class ModelUsageOutput(serializers.Serializer[Any]):
    model_key = serializers.CharField()
    provider = serializers.CharField()
    calls = serializers.IntegerField()
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    tokens = serializers.IntegerField()
    cost_usd = serializers.DecimalField(max_digits=14, decimal_places=6)


class UsageOutput(serializers.Serializer[Any]):
    period = PeriodOutput(
        help_text="The current quota period (the subscription's, else the month)."
    )
    plan = PlanOutput()
    limits = LimitsOutput()
    used = UsedOutput(help_text="This period so far; running debates count their estimate.")
    range = RangeOutput(help_text="The days by_day and by_model cover (UTC, both included).")
    by_day = DayOutput(many=True, help_text="Every day of the range, zeros included.")
    by_model = ModelUsageOutput(many=True, help_text="Recorded usage per model, most tokens first.")


def usage_payload(report: UsageReport) -> dict[str, Any]:
    quota = report.quota
    return {
        "period": {"start": quota.period.start, "end": quota.period.end},
        "plan": quota.plan,
        "limits": {
            "debates": quota.debates.limit,
            "tokens": quota.tokens.limit,
            "cost_usd": quota.cost_usd.limit,
        },
        "used": {
            "debates": quota.debates.used,
            "tokens": quota.tokens.used,
            "cost_usd": quota.cost_usd.used,
        },
        "range": {"from": report.first_day, "to": report.last_day},
        "by_day": report.by_day,
        "by_model": report.by_model,
    }


class UsageApi(APIView):
    """The active team's usage this period against its plan's limits (a key: its team's, with
    the `usage:read` scope)."""

    permission_classes = [IsAuthenticated, KeyScopes]
    required_scopes = {"GET": USAGE_READ}

    @extend_schema(
        operation_id="usage_retrieve",
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="First day of by_day/by_model (UTC)"
            ),
            OpenApiParameter(
                "to", OpenApiTypes.DATE, description="Last day, included; at most 366 days"
            ),
        ],
        responses=UsageOutput,
    )
    def get(self, request: Request) -> Response:
        _user, team = request_workspace(request._request)
        query = UsageQueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = usage_report_for_team(
            team=team,
            first_day=query.validated_data.get("from"),
            last_day=query.validated_data.get("to"),
        )
        return Response(UsageOutput(usage_payload(report)).data)
