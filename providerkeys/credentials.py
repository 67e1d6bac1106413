"""A team's decrypted credential as the debate pipeline carries it. Pure: no Django."""

from dataclasses import dataclass, field
from uuid import UUID


def scope_for_team(team_id: UUID | str) -> str:
    """The breaker scope of calls made with a team's own key (ops records it by name)."""
    return f"team:{team_id}"


@dataclass(frozen=True, slots=True)
class TeamCredential:
    """What a provider is built from when a team brings its own key. The secret never appears
    in `repr` (so neither in a log line, a traceback's locals nor an assertion message)."""

    key_id: UUID
    team_id: UUID
    provider: str
    api_key: str = field(repr=False)
    base_url: str = ""

    @property
    def scope(self) -> str:
        return scope_for_team(self.team_id)


def redact(text: str, secret: str) -> str:
    """`text` without the secret, nor its longer prefix (providers echo a key's start)."""
    if not secret:
        return text
    text = text.replace(secret, "[redacted]")
    if len(secret) > 16:
        text = text.replace(secret[:12], "[redacted]")
    return text
