"""A task for checking the e2e worker itself: the real worker imports it by this path."""

from django.tasks import task


@task()
def ping(value: str) -> str:
    return f"pong: {value}"
