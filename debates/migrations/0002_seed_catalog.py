"""Seed the model catalog (debates/catalog.py holds the data, shared with the test suite).
This migration never overwrites edits that staff made in admin."""

from django.db import migrations

from debates.catalog import CATALOG, catalog_seed


def seed(apps, schema_editor):
    catalog_seed(model=apps.get_model("debates", "LLMModel"), using=schema_editor.connection.alias)


def unseed(apps, schema_editor):
    LLMModel = apps.get_model("debates", "LLMModel")
    keys = [entry.key for entry in CATALOG]
    LLMModel.objects.using(schema_editor.connection.alias).filter(
        key__in=keys, seats__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("debates", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
