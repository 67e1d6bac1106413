"""Seed the model catalog: models the installed SDKs know and do not mark deprecated. Prices
are USD per 1M tokens as last published; staff keep them current in admin (this migration
never overwrites edits)."""

from decimal import Decimal

from django.db import migrations

# (provider, model_id, display name, tier, price in, price out, context window)
CATALOG = [
    ("openai", "gpt-5", "GPT-5", "advanced", "1.25", "10.00", 400_000),
    ("openai", "gpt-5-mini", "GPT-5 mini", "standard", "0.25", "2.00", 400_000),
    ("openai", "gpt-4.1", "GPT-4.1", "advanced", "2.00", "8.00", 1_047_576),
    ("openai", "gpt-4.1-mini", "GPT-4.1 mini", "standard", "0.40", "1.60", 1_047_576),
    ("anthropic", "claude-opus-4-6", "Claude Opus 4.6", "advanced", "5.00", "25.00", 200_000),
    ("anthropic", "claude-sonnet-4-6", "Claude Sonnet 4.6", "advanced", "3.00", "15.00", 200_000),
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
    ("openrouter", "deepseek/deepseek-chat", "DeepSeek V3 (OpenRouter)", "standard", "0.30", "0.85", 163_840),
    ("openrouter", "qwen/qwen3-235b-a22b", "Qwen3 235B (OpenRouter)", "standard", "0.18", "0.54", 131_072),
    ("openrouter", "mistralai/mistral-medium-3", "Mistral Medium 3 (OpenRouter)", "standard", "0.40", "2.00", 131_072),
    ("openai_compat", "llama3.1:8b", "Llama 3.1 8B (local)", "standard", "0", "0", 131_072),
    ("demo", "demo-sage", "Demo Sage", "standard", "0", "0", 32_000),
    ("demo", "demo-skeptic", "Demo Skeptic", "standard", "0", "0", 32_000),
    ("demo", "demo-pragmatist", "Demo Pragmatist", "standard", "0", "0", 32_000),
    ("demo", "demo-scout", "Demo Scout", "standard", "0", "0", 32_000),
]


def seed(apps, schema_editor):
    LLMModel = apps.get_model("debates", "LLMModel")
    for provider, model_id, name, tier, price_in, price_out, context in CATALOG:
        LLMModel.objects.get_or_create(
            provider=provider,
            model_id=model_id,
            defaults={
                "key": f"{provider}:{model_id}",
                "display_name": name,
                "tier": tier,
                "price_in_per_mtok": Decimal(price_in),
                "price_out_per_mtok": Decimal(price_out),
                "context_window": context,
            },
        )


def unseed(apps, schema_editor):
    LLMModel = apps.get_model("debates", "LLMModel")
    keys = [f"{provider}:{model_id}" for provider, model_id, *_ in CATALOG]
    LLMModel.objects.filter(key__in=keys, seats__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("debates", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
