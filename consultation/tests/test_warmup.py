import importlib

from django.conf import settings
from django.urls import clear_url_caches, get_resolver

from consultation.warmup import warm_up

LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _built() -> set[str]:
    # Django keeps one reverse lookup per language, built on first use (a private dict: what
    # the warm-up exists to fill).
    return set(get_resolver()._reverse_dict)


def test_the_reverse_lookups_of_every_language_are_built_by_the_warm_up() -> None:
    clear_url_caches()
    assert not _built()
    warm_up()
    assert _built() >= LANGUAGES


def test_the_web_process_warms_up_before_it_serves() -> None:
    import consultation.asgi

    clear_url_caches()
    importlib.reload(consultation.asgi)  # what Daphne does once: import the application
    assert _built() >= LANGUAGES
