"""Trigger metadata fields of the messaging triggers, read one field at a time.

Event Hubs and Service Bus send each property of a single message as a Datum of its
own (``string``, ``json``, ``int``), and the properties of a batch as arrays (a JSON
array, or a ``collection_*`` message).  :class:`FieldReader` turns one such value into
the Python type azure.functions gives for it, or raises :class:`DecodeError` naming
the binding, the field and, for an item of a batch, its index.  Models call it from
their lazy properties, so a field nobody reads is never converted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from ..datetimes import parse_datetime, parse_timespan
from ..datum import (
    COLLECTION_FIELDS,
    JSON_ERRORS,
    DatumLike,
    json_error,
    json_loads,
    python_value,
)
from ..errors import DecodeError, describe

__all__ = ["FieldReader"]

_NUMBER_KINDS = ("int", "double")


class FieldReader:
    """Converters of metadata values for one binding type (named in every error)."""

    __slots__ = ("binding",)

    def __init__(self, binding: str) -> None:
        self.binding = binding

    # -- errors ---------------------------------------------------------------

    def where(self, name: str, index: int | None = None) -> str:
        item = f", item {index}" if index is not None else ""
        return f"binding {self.binding!r}: trigger metadata field {name!r}{item}"

    def error(self, name: str, expected: str, got: str, index: int | None = None) -> DecodeError:
        return DecodeError(f"{self.where(name, index)}: expected {expected}, got {got}")

    # -- one Datum per field (a single message) ---------------------------------

    def text(self, datum: DatumLike | None, name: str) -> str | None:
        """A text field: string and json Datums, numbers as their digits; null is None."""
        if datum is None:
            return None
        kind, value = datum.type, datum.value
        if kind is None or value is None:
            return None
        if kind == "string" and isinstance(value, str):
            return value
        if kind == "json" and isinstance(value, str):
            # The host quotes its texts; without an escape, dropping the quotes is exact.
            if len(value) >= 2 and value[0] == '"' == value[-1] and "\\" not in value:
                return value[1:-1]
            return self.item_text(self._json(value, name), name)
        if kind in _NUMBER_KINDS and not isinstance(value, bool):
            return str(value)
        raise self.error(name, "a string, json or number value", f"wire type {kind!r}")

    def integer(self, datum: DatumLike | None, name: str) -> int | None:
        """A whole number: int and double Datums, or digits in a string or json Datum."""
        if datum is None:
            return None
        kind, value = datum.type, datum.value
        if kind is None or value is None:
            return None
        if kind in ("json", "string") and isinstance(value, str):
            if value.isascii() and value.isdigit() and len(value) <= 4000:  # the usual "47"
                return int(value)
            parsed = self._json(value, name) if kind == "json" else value
            return self.item_integer(parsed, name)
        if kind in _NUMBER_KINDS:
            return self.item_integer(value, name)
        raise self.error(name, "an integer", f"wire type {kind!r}")

    def moment(self, datum: DatumLike | None, name: str) -> datetime | None:
        """A datetime, through funcbind's one parser; absent, null or empty is None."""
        return self.item_moment(self.text(datum, name), name)

    def span(self, datum: DatumLike | None, name: str) -> timedelta | None:
        """A .NET TimeSpan as a timedelta; absent, null or empty is None."""
        return self.item_span(self.text(datum, name), name)

    def mapping(self, datum: DatumLike | None, name: str) -> dict[str, Any] | None:
        """A JSON object (properties dictionaries); absent or null is None."""
        if datum is None:
            return None
        kind, value = datum.type, datum.value
        if kind is None or value is None:
            return None
        if kind in ("json", "string") and isinstance(value, str | bytes):
            return self.item_mapping(self._json(value, name), name)
        raise self.error(name, "a JSON object", f"wire type {kind!r}")

    def array(self, datum: DatumLike | None, name: str) -> Sequence[Any] | None:
        """The items of an array field: a collection message or a JSON array."""
        if datum is None:
            return None
        kind, value = datum.type, datum.value
        if kind is None or value is None:
            return None
        field = COLLECTION_FIELDS.get(kind)
        if field is not None:
            items: Sequence[Any] = getattr(value, field, value)
            return items
        if kind in ("json", "string") and isinstance(value, str | bytes):
            parsed = self._json(value, name)
            if isinstance(parsed, list):
                return parsed
            raise self.error(name, "a JSON array", describe(parsed))
        raise self.error(name, "a JSON array or a collection", f"wire type {kind!r}")

    def everything(
        self, metadata: Mapping[str, DatumLike], parsed: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Every field as plain Python (the models' ``metadata``), JSON parsed.

        ``parsed`` holds fields the caller has already made plain Python: their values
        are taken as they are, in their place among the others.
        """
        result = {}
        for name, datum in metadata.items():
            if parsed is not None and name in parsed:
                result[name] = parsed[name]
                continue
            try:
                result[name] = python_value(datum)
            except (ValueError, TypeError, RecursionError) as exc:
                raise self.error(name, "JSON text", f"invalid JSON ({exc})") from exc
        return result

    def _json(self, text: Any, name: str, index: int | None = None) -> Any:
        # The parser is called directly, and the message built only on failure: describing
        # the text costs a repr of all of it, more than parsing an array of properties.
        try:
            return json_loads(text)
        except JSON_ERRORS as exc:
            where, got = self.where(name, index), f"invalid JSON {describe(text)}"
            raise json_error(exc, where, got=got) from exc

    # -- items of an array (already Python values) ----------------------------------

    def item_text(self, value: Any, name: str, index: int | None = None) -> str | None:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise self.error(name, "a string", describe(value), index)

    def item_integer(self, value: Any, name: str, index: int | None = None) -> int | None:
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            digits = value[1:] if value[:1] == "-" else value
            if digits.isascii() and digits.isdigit() and len(digits) <= 4000:
                return int(value)  # under the int() digit limit of Python 3.11+
        raise self.error(name, "an integer", describe(value), index)

    def item_moment(self, value: Any, name: str, index: int | None = None) -> datetime | None:
        if value is None or value == "":  # azure.functions also gives None for ""
            return None
        if not isinstance(value, str):
            raise self.error(name, "a datetime text", describe(value), index)
        try:
            return parse_datetime(value)
        except DecodeError as exc:
            raise DecodeError(f"{self.where(name, index)}: {exc.message}") from None

    def item_span(self, value: Any, name: str, index: int | None = None) -> timedelta | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self.error(name, "a time span text", describe(value), index)
        try:
            return parse_timespan(value)
        except DecodeError as exc:
            raise DecodeError(f"{self.where(name, index)}: {exc.message}") from None

    def item_mapping(
        self, value: Any, name: str, index: int | None = None
    ) -> dict[str, Any] | None:
        if value is None or isinstance(value, dict):
            return value
        raise self.error(name, "a JSON object", describe(value), index)
