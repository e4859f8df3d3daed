"""One JSON parser on both sides of a comparison, and its name for the report.

azure.functions parses with orjson when it is installed and with the standard library
otherwise (``azure.functions._jsonutils.json_impl``); funcbind with msgspec (see
``funcbind.datum``), or the standard library under ``FUNCBIND_JSON_PARSER=stdlib``.  So
that a row measures the bindings and not the parsers, the benchmarks hand
azure.functions the parser funcbind uses, through azure.functions' own adapter slot.
"""

from __future__ import annotations

from typing import Any

from funcbind.datum import json_parser_name


def use_funcbinds_parser_in_azure_functions() -> str:
    """Make azure.functions parse JSON with funcbind's parser; return the parser's name."""
    from azure.functions import _jsonutils

    name = json_parser_name()
    current = _jsonutils.json_impl
    if name == "stdlib":
        _jsonutils.json_impl = _jsonutils.StdJsonAdapter()
        return name
    import msgspec

    class MsgspecAdapter(_jsonutils.JsonInterface):  # type: ignore[misc]
        """azure.functions' JSON interface over msgspec; serialising stays as it was."""

        def __init__(self) -> None:
            self._decode = msgspec.json.Decoder().decode

        def dumps(self, obj: Any) -> str:
            return current.dumps(obj)  # type: ignore[no-any-return]

        def loads(self, s: Any) -> Any:
            return self._decode(s)

    _jsonutils.json_impl = MsgspecAdapter()
    return name
