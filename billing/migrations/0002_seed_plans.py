"""Seed the Free, Pro and Team plans (billing/plans.py)."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from billing.plans import PLANS, plans_seed


def seed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    plans_seed(model=apps.get_model("billing", "Plan"), using=schema_editor.connection.alias)


def unseed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Plan = apps.get_model("billing", "Plan")
    Plan.objects.using(schema_editor.connection.alias).filter(
        slug__in=[plan["slug"] for plan in PLANS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_plans_accounts_usage")]

    operations = [migrations.RunPython(seed, unseed)]
