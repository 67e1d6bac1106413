"""Leaderboard, methodology, model pages, hall of fame and public profiles. Thin: parse the
filters, call a selector, render. The chart and interval-bar geometry below only format."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import formats, timezone
from django.views.decorators.http import require_safe

import ratings.converters  # noqa: F401  (registers the "modelkey" path converter)
from accounts.middleware import request_team
from consultation.exceptions import NotAuthenticated
from debates.rubric import criterion_label
from ratings import selectors
from ratings.forms import HallOfFameFilterForm, LeaderboardFilterForm
from ratings.models import Board, ModelRating, RatingSnapshot


@dataclass(frozen=True)
class IntervalBar:
    """Where a row's interval and point sit on the board's common axis, in percent."""

    row: ModelRating
    left: float
    width: float
    point: float


def interval_bars(rows: Sequence[ModelRating]) -> list[IntervalBar]:
    if not rows:
        return []
    low = min(r.ci_low for r in rows)
    high = max(r.ci_high for r in rows)
    span = max(high - low, 1.0)

    def at(value: float) -> float:
        return round((value - low) / span * 100, 2)

    return [
        IntervalBar(
            row=r,
            left=at(r.ci_low),
            width=max(round(at(r.ci_high) - at(r.ci_low), 2), 0.5),
            point=at(r.rating),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    line: str
    band: str
    dots: list[tuple[float, float, str]]
    y_ticks: list[tuple[float, str]]
    start: str
    end: str


def history_chart(
    snapshots: Sequence[RatingSnapshot], *, width: int = 640, height: int = 220
) -> Chart | None:
    """An inline-SVG line of the rating over its snapshots, with the 95% band behind it."""
    if not snapshots:
        return None
    left, right, top, bottom = 48, 12, 12, 28
    low = min(s.ci_low for s in snapshots)
    high = max(s.ci_high for s in snapshots)
    if high - low < 20:
        middle = (high + low) / 2
        low, high = middle - 10, middle + 10
    count = len(snapshots)
    first, last = (timezone.localtime(s.created_at).date() for s in (snapshots[0], snapshots[-1]))
    same_day = first == last

    def x(index: int) -> float:
        inner = width - left - right
        return round(left + (inner * index / (count - 1) if count > 1 else inner / 2), 1)

    def y(value: float) -> float:
        return round(top + (high - value) / (high - low) * (height - top - bottom), 1)

    upper = [f"{x(i)},{y(s.ci_high)}" for i, s in enumerate(snapshots)]
    lower = [f"{x(i)},{y(s.ci_low)}" for i, s in reversed(list(enumerate(snapshots)))]
    ticks = [low + (high - low) * step / 4 for step in range(5)]
    return Chart(
        width=width,
        height=height,
        line=" ".join(f"{x(i)},{y(s.rating)}" for i, s in enumerate(snapshots)),
        band=" ".join(upper + lower),
        dots=[
            (
                x(i),
                y(s.rating),
                f"{_moment(s.created_at, with_time=True)}: "
                f"{s.rating:.0f} ({s.ci_low:.0f}-{s.ci_high:.0f})",
            )
            for i, s in enumerate(snapshots)
        ],
        y_ticks=[(y(value), f"{value:.0f}") for value in ticks],
        start=_moment(snapshots[0].created_at, same_day),
        end=_moment(snapshots[-1].created_at, same_day),
    )


def _moment(moment: datetime, with_time: bool) -> str:
    local = timezone.localtime(moment)
    return formats.date_format(local, "SHORT_DATETIME_FORMAT" if with_time else "SHORT_DATE_FORMAT")


@require_safe
def leaderboard(request: HttpRequest) -> HttpResponse:
    form = LeaderboardFilterForm(request.GET)
    filters = form.filters()
    team = request_team(request)
    if filters["board"] == Board.TEAM and team is None:
        raise NotAuthenticated()
    board = selectors.leaderboard_get(team=team, **filters)
    return render(
        request,
        "ratings/leaderboard.html",
        {
            "form": form,
            "board": board,
            "bars": interval_bars(board.rows),
            "new_below": selectors.NEW_BELOW_MATCHES,
            "signed_in": team is not None,
            "agreement": selectors.board_agreement(board=board.board, team=board.team),
        },
    )


@require_safe
def methodology(request: HttpRequest) -> HttpResponse:
    return render(request, "ratings/methodology.html", {"new_below": selectors.NEW_BELOW_MATCHES})


@require_safe
def model_detail(request: HttpRequest, key: str) -> HttpResponse:
    stats = selectors.model_stats(key=key)
    return render(
        request,
        "ratings/model_detail.html",
        {
            "stats": stats,
            "chart": history_chart(stats.history),
            "criteria": [(criterion_label(name), value) for name, value in stats.rubric.items()],
            "new_below": selectors.NEW_BELOW_MATCHES,
        },
    )


@require_safe
def hall_of_fame(request: HttpRequest) -> HttpResponse:
    form = HallOfFameFilterForm(
        request.GET, models=[(m.key, m.display_name) for m in selectors.model_list_catalog()]
    )
    filters = form.filters()
    return render(
        request,
        "ratings/hall_of_fame.html",
        {"form": form, "order": filters["order"], "debates": selectors.hall_of_fame(**filters)},
    )


@require_safe
def public_profile(request: HttpRequest, handle: str) -> HttpResponse:
    page = selectors.profile_page_get(handle=handle)
    return render(request, "debates/profile.html", {"page": page, "profile": page.profile})


urlpatterns: list[URLPattern] = [
    path("leaderboard/", leaderboard, name="leaderboard"),
    path("leaderboard/methodology/", methodology, name="leaderboard-methodology"),
    path("models/<modelkey:key>/", model_detail, name="model-detail"),
    path("hall-of-fame/", hall_of_fame, name="hall-of-fame"),
    # Replaces accounts.views.public_profile (same path and name; accounts may not import
    # debates, so the richer page lives here and is matched first).
    path("u/<slug:handle>/", public_profile, name="public-profile"),
]
