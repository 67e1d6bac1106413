"""Test a team's key with one tiny call to its provider, and store what the provider said.

The call goes to the cheapest enabled catalog model of that provider, outside any breaker (it
is a check, not a debate's call). It reads the catalog and the provider layer of `debates`
(both below every debate service), as `ratings` reads the catalog.
"""

from dataclasses import dataclass

import structlog
from asgiref.sync import async_to_sync
from django.utils.translation import gettext as _

from debates.models import LLMModel
from debates.providers.base import CompletionRequest, Message, Provider, ProviderError
from debates.providers.registry import build_provider
from providerkeys.crypto import secret_decrypt
from providerkeys.models import ProviderKey
from providerkeys.services import key_record_outcome

logger = structlog.get_logger(__name__)

PROBE_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    code: str = ""
    reason: str = ""


def _probe_model(provider: str) -> str | None:
    model = (
        LLMModel.objects.filter(provider=provider, enabled=True)
        .order_by("price_in_per_mtok", "price_out_per_mtok", "key")
        .first()
    )
    return model.model_id if model is not None else None


def key_test(*, key: ProviderKey) -> ProbeResult:
    """One call with the key; its outcome is stored on the key (status, reason, time)."""
    model_id = _probe_model(key.provider)
    if model_id is None:
        result = ProbeResult(False, "no_model", _("The catalog has no model of this provider."))
        key_record_outcome(key_id=key.pk, ok=False, code=result.code, message=result.reason)
        return result
    secret = secret_decrypt(key.secret_encrypted)
    try:
        provider = build_provider(
            key.provider,
            {key.provider: secret},
            compat_base_url=key.base_url,
            compat_api_key=secret,
        )
        request = CompletionRequest(
            model=model_id,
            messages=(Message("user", "Reply with the single word OK."),),
            temperature=0.0,
            max_output_tokens=16,
            timeout_s=PROBE_TIMEOUT_S,
        )
        async_to_sync(_complete_and_close)(provider, request)
    except ProviderError as exc:
        key_record_outcome(
            key_id=key.pk, ok=False, code=exc.code, message=exc.message, secret=secret
        )
        logger.info(
            "provider_key.tested", key_id=str(key.pk), provider=key.provider, outcome=exc.code
        )
        key.refresh_from_db()
        return ProbeResult(False, exc.code, key.last_error)
    key_record_outcome(key_id=key.pk, ok=True)
    logger.info("provider_key.tested", key_id=str(key.pk), provider=key.provider, outcome="ok")
    return ProbeResult(True)


async def _complete_and_close(provider: Provider, request: CompletionRequest) -> None:
    # The SDK client belongs to this short-lived loop: close it before the loop ends.
    try:
        await provider.complete(request)
    finally:
        close = getattr(provider, "aclose", None)
        if close is not None:
            await close()
