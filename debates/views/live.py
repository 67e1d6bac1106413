"""The live debate and its replay. Both pages embed the event log so far and render from the
same front-end store (frontend/live/); the live page then follows new events over the
WebSocket (debates/consumers.py). Model text is Markdown, always shown sanitised: the page
embeds the HTML rendered here (debates/rendering.py: markdown-it-py, then the nh3 allow-list)
for what is complete when it loads, and the browser renders the rest itself, as it streams
and when it completes, with the same rules (frontend/live/markdown.ts: markdown-it, then
DOMPurify with the same allow-list), so nothing jumps and no request goes back for HTML.
`/rendered/` stays for other clients.

A public debate can be watched and replayed by anyone, read-only; cancelling takes part in it.
"""

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import User
from debates import selectors
from debates.models import Debate, DebateStatus, SeatRole, Stage, Stance, TurnStatus
from debates.rendering import render_markdown
from debates.services.creation import debate_cancel
from debates.services.exports import seat_text
from debates.services.votes import debate_vote_reveal


def rendered_html(
    debate: Debate, *, turn_ids: Iterable[str] | None = None, synthesis: bool = True
) -> dict[str, Any]:
    """Sanitised HTML of completed turns (all, or those asked for) and of the chair's answer."""
    wanted = None if turn_ids is None else {str(turn_id) for turn_id in turn_ids}
    turns = {
        str(turn.pk): str(render_markdown(turn.content))
        for turn in debate.turns.all()
        if turn.status == TurnStatus.COMPLETED and (wanted is None or str(turn.pk) in wanted)
    }
    answer = None
    if synthesis and debate.synthesis:
        answer = {
            "consensus": str(render_markdown(str(debate.synthesis.get("consensus", "")))),
            "recommendation": str(render_markdown(str(debate.synthesis.get("recommendation", "")))),
            "disagreements": [
                str(render_markdown(str(item)))
                for item in debate.synthesis.get("disagreements") or []
            ],
        }
    return {"turns": turns, "synthesis": answer}


def _seats(debate: Debate) -> list[dict[str, Any]]:
    return [
        {
            "id": seat.pk,
            "label": seat_text(seat.position),
            "position": seat.position,
            "role": seat.role,
            "roleLabel": str(SeatRole(seat.role).label)
            if seat.role in SeatRole.values
            else seat.role,
            "model": seat.llm_model.key,
            "modelName": seat.llm_model.display_name,
            "status": seat.status,
        }
        for seat in debate.seats.all()
    ]


def live_strings() -> dict[str, str]:
    """Every sentence the live and replay scripts show, in the visitor's language.
    `{name}` placeholders are filled in by the script."""
    return {
        "connecting": _("Connecting to the live debate…"),
        "reconnecting": _("Live updates interrupted, reconnecting in {seconds} s"),
        "reconnectingNow": _("Live updates interrupted, reconnecting…"),
        "rateLimited": _(
            "Too many live connections this minute for your plan: reconnecting in {seconds} s"
        ),
        "reconnected": _("Reconnected"),
        "unavailable": _("Live updates are unavailable. Reload the page to try again."),
        "waiting": _("Waiting for the debate to start…"),
        "speaking": _("Speaking: {seats}"),
        "chairSpeaking": _("The chair is writing the answer"),
        "thinking": _("Thinking…"),
        "turnFailed": _("This seat could not answer ({reason})."),
        "turnStopped": _("This turn was interrupted."),
        "seatWaiting": _("Waiting"),
        "seatSpeaking": _("Speaking"),
        "seatDone": _("Spoke"),
        "seatFailed": _("Failed"),
        "stageOpening": str(Stage.OPENING.label),
        "stageRebuttal": _("Rebuttal {round} of {rounds}"),
        "stageJudging": str(Stage.JUDGING.label),
        "stageSynthesis": _("The chair's answer"),
        "stageDone": _("Finished"),
        "roundOpening": _("Opening statements"),
        "roundRebuttal": _("Rebuttal round {round}"),
        "status_queued": str(DebateStatus.QUEUED.label),
        "status_running": str(DebateStatus.RUNNING.label),
        "status_completed": str(DebateStatus.COMPLETED.label),
        "status_completed_budget": str(DebateStatus.COMPLETED_BUDGET.label),
        "status_failed": str(DebateStatus.FAILED.label),
        "status_cancelled": str(DebateStatus.CANCELLED.label),
        "stance_for": str(Stance.FOR.label),
        "stance_against": str(Stance.AGAINST.label),
        "stance_mixed": str(Stance.MIXED.label),
        "confidence": _("Confidence {percent}%"),
        "judgments": _("Judgments"),
        "judge": _("Judge"),
        "seat": _("Seat"),
        "score": _("Score"),
        "rationale": _("Rationale"),
        "judgeFailed": _("No score ({reason})"),
        "consensus": _("Consensus"),
        "disagreements": _("Disagreements"),
        "recommendation": _("Recommendation"),
        "writtenBy": _("Written by {chair}"),
        "substituteChair": _("Written by {chair}, standing in for the chair"),
        "scoreboard": _("Scoreboard"),
        "rank": _("Rank"),
        "meanScore": _("Mean score"),
        "unranked": _("not scored"),
        "failed": _("The debate failed: {reason}"),
        "cancelled": _("The debate was cancelled."),
        "cancelledBeforeStart": _(
            "The debate was cancelled before it started: no model was called."
        ),
        "seatSilent": _("Did not speak"),
        "budget": _("Stopped early to stay within the cost cap: {reason}"),
        "position": _("Event {position} of {total}"),
        "play": _("Play"),
        "pause": _("Pause"),
        "emptyLog": _("This debate has no events yet."),
        "elapsed": _("Elapsed {time}"),
        "took": _("Took {time}"),
        "replayTime": _("{time} of {total}"),
        "announceStarted": _("Your debate has started."),
        "announce_completed": _("Your debate has finished: the answer is ready."),
        "announce_completed_budget": _("Your debate stopped at its cost cap: the answer is ready."),
        "announce_failed": _("Your debate could not finish."),
        "announce_cancelled": _("Your debate was cancelled."),
        "notifyOn": _("Notifications are on: you will hear when it starts and when it finishes."),
        "notifyBlocked": _(
            "Notifications are blocked for this site; the page itself will tell you."
        ),
        "copy": _("Copy"),
        "copyAnswer": _("Copy the answer"),
        "copied": _("Copied"),
    }


def _page(request: HttpRequest, template: str, debate_id: UUID) -> HttpResponse:
    debate, participant = selectors.debate_get_for_viewer(user=request.user, debate_id=debate_id)
    if isinstance(request.user, User):
        # These pages name every seat's model: a vote cast after them is not blind.
        debate_vote_reveal(actor=request.user, debate_id=debate.pk)
    config = {
        "debateId": str(debate.pk),
        "rounds": debate.rounds,
        "seats": _seats(debate),
        "models": {
            model.key: model.display_name
            for model in [debate.chair_model, *debate.judge_models.all()]
        },
        "socketPath": f"/ws/debates/{debate.pk}/",
        "renderedUrl": reverse("debate-rendered", args=[debate.pk]),
        "finished": debate.is_finished,
    }
    return render(
        request,
        template,
        {
            "debate": debate,
            "participant": participant,
            "can_cancel": participant and not debate.is_finished,
            "live_config": config,
            "live_events": selectors.debate_event_log(debate_id=debate.pk),
            "live_rendered": rendered_html(debate),
            "live_strings": live_strings(),
            "rebuttal_rounds": range(1, debate.rounds + 1),
            "queue": selectors.debate_queue_place(debate=debate),
        },
    )


@require_safe
def debate_live(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    return _page(request, "debates/live.html", debate_id)


@require_safe
def debate_replay(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    return _page(request, "debates/replay.html", debate_id)


@require_safe
def debate_rendered(request: HttpRequest, debate_id: UUID) -> JsonResponse:
    """Sanitised HTML of turns completed since the page loaded (`?turn=<id>`, repeatable) and
    of the chair's answer (`?synthesis=1`): the live page asks as they complete."""
    debate, _participant = selectors.debate_get_for_viewer(user=request.user, debate_id=debate_id)
    turn_ids = request.GET.getlist("turn")[:50]
    html = rendered_html(debate, turn_ids=turn_ids, synthesis=request.GET.get("synthesis") == "1")
    return JsonResponse(html)


@require_safe
def debate_live_queue(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    """The queue notice of a debate not started yet, polled by the live page (a place taken by
    a debate ahead, or a slot freed, changes it); empty once the debate has started."""
    debate, _participant = selectors.debate_get_for_viewer(user=request.user, debate_id=debate_id)
    queue = selectors.debate_queue_place(debate=debate)
    if queue is None:
        return HttpResponse("")
    return render(request, "debates/partials/queue_place.html", {"debate": debate, "queue": queue})


@login_required
@require_POST
def debate_live_cancel(request: HttpRequest, debate_id: UUID) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    debate = debate_cancel(debate=selectors.debate_get_for_user(user=user, debate_id=debate_id))
    if debate.status == DebateStatus.CANCELLED:
        messages.success(request, _("The debate was cancelled."))
    else:
        messages.info(request, _("Cancelling: the debate stops after the current step."))
    return redirect("debate-live", debate_id=debate.pk)


urlpatterns: list[URLPattern] = [
    path("debates/<uuid:debate_id>/live/", debate_live, name="debate-live"),
    path("debates/<uuid:debate_id>/replay/", debate_replay, name="debate-replay"),
    path("debates/<uuid:debate_id>/rendered/", debate_rendered, name="debate-rendered"),
    path("debates/<uuid:debate_id>/live/queue/", debate_live_queue, name="debate-live-queue"),
    path("debates/<uuid:debate_id>/live/cancel/", debate_live_cancel, name="debate-live-cancel"),
]
