"""A long-lived Django process that runs snippets against the e2e database for the tests.

`manage.py shell -c` pays Django's start-up (~2-3 s) per call; this pays it once per session.
The test process writes one JSON line per request ({"code": "..."}) to stdin and reads one JSON
line back ({"output": "...", "error": "..."}) from stdout. It runs in its own process, with
tests.e2e.settings, so the browser tests' event loop and the ORM never meet.
"""

import contextlib
import io
import json
import sys
import traceback

import django


def main() -> None:
    # Only replies go to stdout; anything else that prints (logging, warnings) goes to stderr.
    replies = sys.stdout
    sys.stdout = sys.stderr
    django.setup()
    from django.db import close_old_connections

    for line in sys.stdin:
        request = json.loads(line)
        captured = io.StringIO()
        error = ""
        try:
            with contextlib.redirect_stdout(captured):
                exec(request["code"], {"__name__": "__e2e__"})  # noqa: S102
        except Exception:  # noqa: BLE001 - the failure goes back to the test that sent the code
            error = traceback.format_exc()
        finally:
            close_old_connections()
        replies.write(json.dumps({"output": captured.getvalue(), "error": error}) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
