"""dj-stripe's schema as one migration: what every database runs (MIGRATION_MODULES in settings).

Why: dj-stripe 2.11.0's own migrations rebuild dozens of tables on SQLite and took over two
minutes of a first `migrate`; `0001_squashed_0003_2_11` creates the same tables directly in a
few seconds. It was generated from dj-stripe 2.11.0's models (`makemigrations djstripe`), so the
schema is the one dj-stripe's own migrations end at.

Why it is safe for existing databases: it `replaces` every migration dj-stripe 2.11.0 ships, so
Django treats a database that applied them as already migrated here (and records both names
when it runs on a fresh one). billing/tests/test_djstripe_migrations.py fails when the installed
dj-stripe ships a migration that no migration here replaces.

After upgrading dj-stripe (see docs/DEPLOY.md, "dj-stripe migrations"):
1. `DEBUG=1 .venv/bin/python manage.py makemigrations djstripe` writes the schema change as the
   next migration here. Never regenerate or edit 0001: databases have applied it.
2. Give the new migration `replaces = [("djstripe", name) for each migration the new release
   added]`, and copy any RunPython/RunSQL data step of those migrations into it.
3. `.venv/bin/pytest billing/tests` and `make migrations-check` pass.
"""
