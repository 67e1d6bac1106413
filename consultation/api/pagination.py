from typing import Any

from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """The one pagination of the API: `?page=2&page_size=50`, at most 100 a page."""

    page_size_query_param = "page_size"
    max_page_size = 100


PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="Page number, from 1"),
    OpenApiParameter("page_size", int, description="Items a page, at most 100"),
]


def page_of(item: type[serializers.Serializer[Any]]) -> serializers.Serializer[Any]:
    """The documented shape of a page of `item`s, for an APIView that paginates itself
    (drf-spectacular wraps only generic views' list responses)."""
    return inline_serializer(
        name=f"{item.__name__}Page",
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )
