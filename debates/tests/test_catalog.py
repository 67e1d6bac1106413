"""The catalog seed: one source for the data migration and the suite, idempotent, and present
in every test, a transactional one included (conftest.py re-seeds after each flush)."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from debates.catalog import CATALOG, catalog_seed
from debates.models import LLMModel

KEYS = {entry.key for entry in CATALOG}


@pytest.mark.django_db
def test_catalog_seed_is_idempotent_and_keeps_staff_edits() -> None:
    LLMModel.objects.filter(key="openai:gpt-5").update(price_in_per_mtok=Decimal("9"))
    LLMModel.objects.filter(key="demo:demo-scout").delete()
    assert catalog_seed() == 1
    assert catalog_seed() == 0
    assert set(LLMModel.objects.values_list("key", flat=True)) == KEYS
    assert LLMModel.objects.get(key="openai:gpt-5").price_in_per_mtok == Decimal("9")


@pytest.mark.django_db
def test_catalog_seed_fills_every_field_of_an_entry() -> None:
    entry = next(e for e in CATALOG if e.key == "anthropic:claude-haiku-4-5")
    model = LLMModel.objects.get(key=entry.key)
    assert (model.provider, model.model_id, model.display_name, model.tier) == entry[:4]
    assert model.price_in_per_mtok == Decimal(entry.price_in)
    assert model.price_out_per_mtok == Decimal(entry.price_out)
    assert model.context_window == entry.context_window


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_the_catalog_seeded() -> None:
    assert set(LLMModel.objects.values_list("key", flat=True)) == KEYS
    call_command("flush", interactive=False, verbosity=0)
    assert set(LLMModel.objects.values_list("key", flat=True)) == KEYS
