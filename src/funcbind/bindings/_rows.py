"""What the Cosmos DB, SQL and MySQL families share: a JSON array of objects, read lazily.

azure.functions gives the three families one shape: a ``UserList`` of ``UserDict`` rows
(``DocumentList`` of ``Document``, ``SqlRowList`` of ``SqlRow``, ``MySqlRowList`` of
``MySqlRow``) filled from a JSON array, one object wrapped as a list of one and ``null``
kept as a None row; on the way out a row, a list of rows or any iterable of rows, sent
as one JSON array.  This module holds that shape once; each family module names its
stock classes in a :class:`RowFamily` and registers a :class:`RowListConverter`.

The model (:class:`LazyRowList`, mixed into a subclass of the stock list class) keeps
the wire text and parses it on first read, once; each row is the stock row class
wrapping the parsed object itself, without the copy ``from_dict`` makes.  Text that
is not JSON, or an element that is neither an object nor null, fails that first read
with a :class:`DecodeError` naming the binding, the parameter and the element's index,
where azure.functions fails the whole invocation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from .._typing import TypeSpec
from ..datum import Datum, DatumLike, parse_json
from ..errors import DecodeError, UnsupportedValueError, describe
from ..registry import BindingSpec, Decoder, Encoder
from ._common import Metadata, wrong_wire_kind
from ._output import output_accepts
from .generic import GenericConverter

__all__ = ["LazyRowList", "RowFamily", "RowListConverter", "stock_registry_knows", "where_label"]

# The wire kinds azure.functions' converters of these families read (no more: a
# "stream" or collection payload is NotImplementedError there, and here).
_TEXT_KINDS = frozenset({"string", "json"})
_GENERIC = GenericConverter()


def where_label(binding: BindingSpec) -> str:
    """How messages name a binding and its parameter ("binding 'sql', parameter 'rows'")."""
    label = f"binding {binding.type!r}"
    return f"{label}, parameter {binding.name!r}" if binding.name else label


def stock_registry_knows(name: str) -> bool:
    """Whether the installed azure.functions registers a converter under ``name``.

    Read from its converter table, not through ``azure.functions.get_binding_registry``:
    a worker may have been handed funcbind's registry under that name
    (docs/compatibility.md), and this runs while funcbind's is being built.
    """
    from azure.functions import meta

    table = getattr(meta._ConverterMeta, "_bindings", None)
    return isinstance(table, Mapping) and name in table


# -- the model ---------------------------------------------------------------


class _ParsedOnFirstRead:
    """The ``data`` attribute of a lazy row list: the rows, built on first read.

    A non-data descriptor: once built, the list is stored in the instance's ``__dict__``
    under the same name and shadows the descriptor, so every later ``self.data`` (which
    every ``UserList`` method reads) is a plain attribute lookup.
    """

    def __get__(self, instance: LazyRowList | None, owner: type) -> Any:
        if instance is None:
            return self
        rows = instance._read_rows()
        instance.__dict__["data"] = rows
        return rows


class LazyRowList:
    """A row list that parses its JSON on first read; mixed in before the stock list class.

    Built from the wire by :meth:`from_wire`; built from a list (``copy()``, slicing,
    ``cls(rows)``) it is an ordinary ``UserList``, as the stock class is.
    """

    row_class: ClassVar[type]  # the stock row class each object becomes
    noun: ClassVar[str]  # "document" or "row", for messages
    data: Any = _ParsedOnFirstRead()

    _wire: Any
    _where: str

    @classmethod
    def from_wire(cls, value: Any, where: str) -> Any:
        """A list over JSON text (str) or UTF-8 JSON bytes, parsed when first read."""
        rows = cls.__new__(cls)
        rows._wire = value
        rows._where = where
        return rows

    def _read_rows(self) -> list[Any]:
        where = self._where
        text = self._wire
        if not isinstance(text, str):
            try:
                text = bytes(text).decode("utf-8")  # bytes(b) is b itself: no copy
            except UnicodeDecodeError as exc:
                raise DecodeError(
                    f"{where}: expected UTF-8 JSON text, got bytes that are not UTF-8 "
                    f"({exc.reason} at byte {exc.start})"
                ) from exc
        parsed = parse_json(
            text, where, expected=f"a JSON array of {self.noun}s (or one {self.noun})"
        )
        if type(parsed) is not list:
            parsed = [parsed]  # one object (or null) is a list of one, as in azure.functions
        row_class = self.row_class
        new = object.__new__
        rows: list[Any] = []
        append = rows.append
        for index, value in enumerate(parsed):
            if type(value) is dict:
                # The parsed object is this row's own: wrap it, as from_dict would after a copy.
                row: Any = new(row_class)
                row.data = value
                append(row)
            elif value is None:
                append(None)
            else:
                raise DecodeError(
                    f"{where}, {self.noun} {index}: expected a JSON object or null, "
                    f"got {describe(value)}"
                )
        return rows

    def __repr__(self) -> str:
        try:
            return repr(self.data)
        except DecodeError as exc:
            return f"<{type(self).__name__}, unreadable: {exc}>"


# -- the family ----------------------------------------------------------------


@dataclass(frozen=True)
class RowFamily:
    """One family's stock classes, as its converter needs them.

    ``model`` is the lazy list subclass decodes give; ``stock_list`` and ``row_class``
    are the stock classes the encoder recognises; ``output_classes`` are the classes an
    output annotation may name (the stock checks' classes and their abstract bases).
    """

    model: type[LazyRowList]
    stock_list: type
    row_class: type
    output_classes: tuple[type, ...]

    @property
    def noun(self) -> str:
        return self.model.noun

    @property
    def names(self) -> str:
        return f"{self.stock_list.__name__} or {self.row_class.__name__}"


class RowListConverter:
    """Decodes into the family's lazy list; encodes rows, lists and iterables of rows."""

    directions = frozenset({"in", "out"})

    def __init__(self, family: RowFamily) -> None:
        self.family = family
        self.model = family.model  # what decode() without an annotation gives (worker facade)
        self.accepted_inputs = (
            f"azure.functions.{family.stock_list.__name__} (the default), or the payload as "
            "str, bytes, dict or list (and Optional of them)"
        )
        self.accepted_outputs = (
            f"azure.functions.{family.names}, a dict, an iterable of them, or None"
        )

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        if spec.kind == "any" or spec.satisfied_by(self.model):
            return _model_decoder(self.model, where_label(binding))
        # Plain annotations want the payload itself, which the generic decoders read.
        return _GENERIC.decoder(spec, binding)

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        if not self._encodable(spec):
            return None
        family = self.family
        where = where_label(binding)

        def encode_rows(value: Any) -> Datum | None:
            return _encode(family, where, value)

        return encode_rows

    def _encodable(self, spec: TypeSpec) -> bool:
        # A list of rows is rows too: its items follow the same rules, nested lists included.
        return output_accepts(spec, (Mapping, *self.family.output_classes), self._encodable)


def _model_decoder(model: type[LazyRowList], where: str) -> Decoder:
    def decode_rows(datum: DatumLike | None, trigger_metadata: Metadata = None) -> Any:
        if datum is None:
            return None
        kind = datum.type
        if kind is None:
            return None  # a null value: None, as in azure.functions
        if kind in _TEXT_KINDS or kind == "bytes":
            value = datum.value
            if value is None:
                raise DecodeError(f"{where}: expected JSON text, got a {kind} value of None")
            return model.from_wire(value, where)
        raise wrong_wire_kind(where, f"a JSON {model.noun} list (string, json or bytes)", kind)

    return decode_rows


# -- encoding ------------------------------------------------------------------


def _encode(family: RowFamily, where: str, value: Any) -> Datum | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        rows = [_row_object(family, where, value, None, lenient=False)]
    elif isinstance(value, Iterable):
        # A stock list may hold anything dict() reads (azure.functions sends dict(row));
        # any other iterable holds rows or mappings.
        lenient = isinstance(value, family.stock_list)
        rows = [
            _row_object(family, where, item, index, lenient=lenient)
            for index, item in enumerate(value)
        ]
    else:
        raise UnsupportedValueError(
            f"{where}: expected a {family.names}, a dict, or an iterable of them, "
            f"got {describe(value)}"
        )
    try:
        return Datum(json.dumps(rows), "json")
    except (TypeError, ValueError, RecursionError) as exc:
        raise _json_error(family, where, rows, exc) from exc


def _row_object(
    family: RowFamily, where: str, item: Any, index: int | None, *, lenient: bool
) -> Any:
    """One row as the object JSON sends: the same keys and order as ``dict(item)``."""
    cls = type(item)
    if cls is dict:
        return item
    if cls is family.row_class and type(item.data) is dict:
        return item.data  # the stock row's __getitem__ reads data: dict(item) equals it
    if isinstance(item, Mapping):
        return dict(item)
    if lenient and item is not None:
        try:
            return dict(item)
        except (TypeError, ValueError):
            pass
    at = where if index is None else f"{where}, item {index}"
    raise UnsupportedValueError(
        f"{at}: expected a {family.row_class.__name__} or a dict, got {describe(item)}"
    )


def _json_error(
    family: RowFamily, where: str, rows: list[Any], exc: Exception
) -> UnsupportedValueError:
    """Name the first row json.dumps refuses (the failure path only)."""
    for index, row in enumerate(rows):
        try:
            json.dumps(row)
        except (TypeError, ValueError, RecursionError) as row_exc:
            return UnsupportedValueError(
                f"{where}, item {index}: expected a JSON-serialisable {family.noun}, "
                f"got {describe(row)} ({row_exc})"
            )
    return UnsupportedValueError(f"{where}: cannot encode the {family.noun}s as JSON ({exc})")
