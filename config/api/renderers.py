"""JSON answers through orjson, with the same bytes as DRF's own JSONRenderer.

Profiling ``GET sessions?page_size=20`` put ``json.dumps`` with DRF's encoder among the larger costs
of a list answer; orjson writes the same document several times faster. What must not change, and
how it is kept (``tests/test_renderers.py`` compares both renderers on the API's answers):
- compact separators, UTF-8 without ``\\uXXXX`` escapes (DRF's ``UNICODE_JSON``/``COMPACT_JSON``);
- ``\\u2028``/``\\u2029`` escaped, as DRF does so the answer is a strict JavaScript subset;
- datetimes, dates and times, lazy strings, decimals and anything else orjson does not know go to
  DRF's own encoder (``OPT_PASSTHROUGH_DATETIME`` + ``default``), so a datetime renders exactly as before
  (ISO 8601, ``Z`` for UTC); serializers already hand over strings for the fields of the API;
- anything orjson refuses (an integer beyond 64 bits, ``indent=`` asked for in ``Accept``) is rendered
  by DRF's renderer, so nothing that rendered before fails now.
"""

from __future__ import annotations

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_LINE_SEPARATORS = (("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


class OrjsonRenderer(JSONRenderer):
    _fallback_encoder = JSONEncoder()

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.ensure_ascii or not self.compact or self.get_indent(accepted_media_type, renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            ret = orjson.dumps(data, default=self._fallback_encoder.default, option=_OPTIONS)
        except (orjson.JSONEncodeError, TypeError):
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80\xa8" in ret or b"\xe2\x80\xa9" in ret:
            for raw, escaped in _LINE_SEPARATORS:
                ret = ret.replace(raw, escaped)
        return ret
