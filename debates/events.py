"""Appending to a debate's event log, and announcing new events to live listeners.

The log is the truth; the channel layer is only a fast wake-up. `event_append` must run inside
the transaction that changes the state the event describes, so the two commit together; the
announcement goes out only after that commit.
"""

from typing import Any
from uuid import UUID

import structlog
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F

from debates.models import Debate, DebateEvent

logger = structlog.get_logger(__name__)


def group_name(debate_id: UUID | str) -> str:
    return f"debate.{debate_id}"


def event_append(*, debate_id: UUID, type: str, payload: dict[str, Any]) -> DebateEvent:
    """Append the next event (seq = last + 1). Raises unless inside an atomic block."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("event_append must run inside the transaction of its state change")
    # The UPDATE locks the debate row until commit, so concurrent appends get distinct seqs.
    Debate.objects.filter(pk=debate_id).update(last_seq=F("last_seq") + 1)
    seq = Debate.objects.filter(pk=debate_id).values_list("last_seq", flat=True).get()
    event = DebateEvent.objects.create(debate_id=debate_id, seq=seq, type=type, payload=payload)
    transaction.on_commit(lambda: event_publish(event))
    return event


def event_publish(event: DebateEvent) -> None:
    """Wake listeners of this debate in every process the channel layer reaches."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            group_name(event.debate_id), {"type": "debate.event", "event": event.as_message()}
        )
    except Exception:  # noqa: BLE001  (listeners catch up from the log; never fail a write)
        logger.warning("event_publish_failed", debate_id=str(event.debate_id), seq=event.seq)
