"""Access changes reaching open WebSockets.

A live socket checks access when it connects; whatever later takes access away must tell the
sockets it concerns, at once. The one message for that is `{"type": "access.changed"}` sent to
a channel-layer group: a consumer that receives it checks again (who is signed in, may they
still see this) and closes with 4403 if not. Two kinds of group carry it:

- `access.user.<id>`: every socket that user has open (membership removed, logout; an API key
  revoked will send here too), joined by each consumer of a signed-in user;
- a resource's own group, e.g. `debate.<id>` (sharing changes), which the consumer joins
  anyway for its events.

`ended_session` (a session key) marks the one session that just ended: its sockets close
without asking the database, which logout may not have updated yet. The same check also runs
on a timer in each consumer, so a message lost by the channel layer delays a closure but never
cancels it. Messages go out after the transaction that changed access commits.
"""

from collections.abc import Iterable
from typing import Any

import structlog
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest

logger = structlog.get_logger(__name__)

ACCESS_CHANGED = "access.changed"


def user_group_name(user_id: object) -> str:
    return f"access.user.{user_id}"


def access_changed(*, groups: Iterable[str], reason: str, ended_session: str | None = None) -> None:
    """Tell every socket in `groups` to check its access again, once the current transaction
    commits (at once outside one). Never fails the caller: the consumers' periodic check
    catches what a broken channel layer loses."""
    message: dict[str, Any] = {"type": ACCESS_CHANGED, "reason": reason}
    if ended_session:
        message["ended_session"] = ended_session
    targets = list(groups)
    transaction.on_commit(lambda: _send(targets, message))


def access_changed_for_users(
    *, user_ids: Iterable[object], reason: str, ended_session: str | None = None
) -> None:
    access_changed(
        groups=[user_group_name(user_id) for user_id in user_ids],
        reason=reason,
        ended_session=ended_session,
    )


def _send(groups: list[str], message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:
            logger.warning("access_change_not_sent", group=group, exc_info=True)


@receiver(user_logged_out, dispatch_uid="accounts-logout-closes-sockets")
def _logged_out(sender: object, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # Sent before Django flushes the session: its key still names the session that ends.
    if user is None or request is None:
        return
    access_changed_for_users(
        user_ids=[user.pk],
        reason="logged_out",
        ended_session=getattr(request.session, "session_key", None),
    )
