"""Settings of the e2e server processes: the test settings, run the way production runs them.

`tests/e2e/conftest.py` starts daphne and `manage.py db_worker` with this module and
`DATABASE_URL=sqlite:///<tmp>/db.sqlite3`, so web and worker share one SQLite file (WAL) and
background work goes through the database task backend, as in the embedded default. Only the
differences from `tests.settings` live here.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# tests.settings first: it seeds the environment that consultation.settings reads.
from tests.settings import *  # noqa: F403
from tests.settings import BASE_DIR, DATABASES

_database = DATABASES["default"]
if _database["ENGINE"] == "consultation.sqlite3":
    _name = str(_database["NAME"])
    if _name in ("", ":memory:") or Path(_name).resolve() == (BASE_DIR / "db.sqlite3").resolve():
        raise ImproperlyConfigured(
            "tests.e2e.settings needs its own SQLite file: set "
            "DATABASE_URL=sqlite:////<tmp dir>/db.sqlite3 (tests/e2e/conftest.py does)."
        )
    # Server and worker open the file itself; there is no separate test database.
    _database.pop("TEST", None)
    _data_dir = Path(_name).parent
else:
    _data_dir = BASE_DIR / "var" / "e2e"

# Web and worker are separate processes: tasks go through the database, like production.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Uploads and mail must be visible across processes (and to the test process): files.
MEDIA_ROOT = str(_data_dir / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # DEBUG is off; whitenoise serves the sources through the finders, no collectstatic run.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": str(_data_dir / "mail")},
    }
}

# The demo provider streams at a visible pace (the live view can be watched, and cut, mid-debate),
# yet a one-round demo debate still finishes in about ten seconds.
DEMO_TOKENS_PER_SECOND = 60.0
