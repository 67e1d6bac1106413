"""The seed of the model catalog: models the installed SDKs know and do not mark deprecated.
Prices are USD per 1M tokens as last published; staff keep them current in admin.

One source for the data migration that seeds a real database (0002_seed_catalog, through its
historical model) and for the test suite, whose database is built from the models and seeded
by `catalog_seed()` again after every flush (conftest.py)."""

from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from debates.models import LLMModel


class CatalogEntry(NamedTuple):
    provider: str
    model_id: str
    display_name: str
    tier: str
    price_in: str
    price_out: str
    context_window: int

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.model_id}"


CATALOG: tuple[CatalogEntry, ...] = tuple(
    CatalogEntry(*row)
    for row in [
        ("openai", "gpt-5", "GPT-5", "advanced", "1.25", "10.00", 400_000),
        ("openai", "gpt-5-mini", "GPT-5 mini", "standard", "0.25", "2.00", 400_000),
        ("openai", "gpt-4.1", "GPT-4.1", "advanced", "2.00", "8.00", 1_047_576),
        ("openai", "gpt-4.1-mini", "GPT-4.1 mini", "standard", "0.40", "1.60", 1_047_576),
        ("anthropic", "claude-opus-4-6", "Claude Opus 4.6", "advanced", "5.00", "25.00", 200_000),
        (
            "anthropic",
            "claude-sonnet-4-6",
            "Claude Sonnet 4.6",
            "advanced",
            "3.00",
            "15.00",
            200_000,
        ),
        ("anthropic", "claude-haiku-4-5", "Claude Haiku 4.5", "standard", "1.00", "5.00", 200_000),
        ("gemini", "gemini-2.5-pro", "Gemini 2.5 Pro", "advanced", "1.25", "10.00", 1_048_576),
        ("gemini", "gemini-2.5-flash", "Gemini 2.5 Flash", "standard", "0.30", "2.50", 1_048_576),
        (
            "openrouter",
            "meta-llama/llama-3.3-70b-instruct",
            "Llama 3.3 70B (OpenRouter)",
            "standard",
            "0.13",
            "0.40",
            131_072,
        ),
        (
            "openrouter",
            "deepseek/deepseek-chat",
            "DeepSeek V3 (OpenRouter)",
            "standard",
            "0.30",
            "0.85",
            163_840,
        ),
        (
            "openrouter",
            "qwen/qwen3-235b-a22b",
            "Qwen3 235B (OpenRouter)",
            "standard",
            "0.18",
            "0.54",
            131_072,
        ),
        (
            "openrouter",
            "mistralai/mistral-medium-3",
            "Mistral Medium 3 (OpenRouter)",
            "standard",
            "0.40",
            "2.00",
            131_072,
        ),
        ("openai_compat", "llama3.1:8b", "Llama 3.1 8B (local)", "standard", "0", "0", 131_072),
        ("demo", "demo-sage", "Demo Sage", "standard", "0", "0", 32_000),
        ("demo", "demo-skeptic", "Demo Skeptic", "standard", "0", "0", 32_000),
        ("demo", "demo-pragmatist", "Demo Pragmatist", "standard", "0", "0", 32_000),
        ("demo", "demo-scout", "Demo Scout", "standard", "0", "0", 32_000),
    ]
)


def catalog_seed(*, model: "type[LLMModel] | None" = None, using: str = "default") -> int:
    """Create the catalog entries that are missing and return how many were created.
    Idempotent (one query when nothing is missing), and never overwrites staff edits. `model`
    is the historical LLMModel when a data migration calls this; the current one otherwise."""
    if model is None:
        from debates.models import LLMModel  # late: the migration imports this module

        model = LLMModel
    manager = model._default_manager.db_manager(using)
    present = set(manager.values_list("provider", "model_id"))
    missing = [
        model(
            key=entry.key,
            provider=entry.provider,
            model_id=entry.model_id,
            display_name=entry.display_name,
            tier=entry.tier,
            price_in_per_mtok=Decimal(entry.price_in),
            price_out_per_mtok=Decimal(entry.price_out),
            context_window=entry.context_window,
        )
        for entry in CATALOG
        if (entry.provider, entry.model_id) not in present
    ]
    manager.bulk_create(missing)
    return len(missing)
