"""dj-stripe's schema in one migration, for test databases only (see tests/settings.py).

Regenerate after upgrading dj-stripe: delete 0001_initial.py, then
DJANGO_SETTINGS_MODULE=tests.settings .venv/bin/python manage.py makemigrations djstripe -n initial
"""
