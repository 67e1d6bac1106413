"""The API's JSON parser: orjson, which refuses what DRF's `json`-based parser lets through.

DRF's JSONParser uses the standard library: a body of 100,000 `[` raises RecursionError (a
500, not a ParseError), and `"\\ud800"` decodes to a lone surrogate that no later step can
encode (the validation error echoing it fails to render). orjson stops nesting at 1,024
levels and refuses lone surrogates and NaN/Infinity as invalid JSON, so all three are a 400
`parse_error` before any view code runs. A body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413
`payload_too_large`, whether or not it announced its length.
"""

from collections.abc import Mapping
from typing import IO, Any

import orjson
from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer

from consultation.exceptions import PayloadTooLarge


class JSONParser(BaseParser):
    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        # Read at most one byte past the limit: a body without Content-Length (chunked) is
        # bounded too, and nothing past the limit is ever held in memory.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = b"" if stream is None else stream.read(-1 if limit is None else limit + 1)
        if limit is not None and len(raw) > limit:
            raise PayloadTooLarge
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ParseError(_("The body is not valid JSON: %(error)s") % {"error": exc}) from exc
