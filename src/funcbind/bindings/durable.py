"""Durable Functions: ``orchestrationTrigger``, ``entityTrigger``, ``activityTrigger``
and the ``durableClient`` input.

The ``azure-functions-durable`` package does the orchestration work in the function
itself; the bindings only carry text.  An orchestrator or entity receives the host's
history as one JSON document (:class:`OrchestrationContext`, :class:`EntityContext`:
instances of the azure.functions classes, whose ``body`` is that text untouched) and
returns its new state as JSON text, which goes back as ``json``.  An activity receives
its input parsed from JSON with the Durable conventions (:func:`loads`) and its result
goes back as JSON (:func:`dumps`).  A client receives its configuration as raw text.

The JSON conventions are azure.functions' ``df_loads``/``df_dumps``: an object of a
class with ``to_json``/``from_json`` travels as ``{"__class__", "__module__",
"__data__"}`` and is rebuilt from a class already imported; the environment variable
``AZURE_FUNCTIONS_DURABLE_STRICT_TYPING`` (``1``, ``true``, ``yes``) turns nested
rebuilding off, read on every call as azure.functions reads it.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from azure.functions._durable_functions import EntityContext as StockEntityContext
from azure.functions._durable_functions import (
    OrchestrationContext as StockOrchestrationContext,
)

from .._typing import TypeSpec
from ..datum import Datum, DatumLike
from ..errors import DecodeError, EncodeError, UnsupportedDatumError, UnsupportedValueError
from ..errors import describe as describe_value
from ..registry import BindingSpec, Decoder, Encoder, Registry
from ._common import Metadata, binding_label, not_utf8, wrong_wire_kind

__all__ = [
    "ActivityTriggerConverter",
    "DurableClientConverter",
    "EntityContext",
    "EntityTriggerConverter",
    "OrchestrationContext",
    "OrchestrationTriggerConverter",
    "dumps",
    "loads",
    "register",
]

ORCHESTRATION = "orchestrationTrigger"
ENTITY = "entityTrigger"
ACTIVITY = "activityTrigger"
CLIENT = "durableClient"

STRICT_SETTING = "AZURE_FUNCTIONS_DURABLE_STRICT_TYPING"
_TRUTHY = frozenset({"1", "true", "yes"})
_ENVELOPE_KEYS = ("__class__", "__module__", "__data__")


def register(registry: Registry) -> None:
    registry.register(
        ORCHESTRATION,
        converter=OrchestrationTriggerConverter(),
        trigger=True,
        implicit_output=True,
    )
    registry.register(
        ENTITY, converter=EntityTriggerConverter(), trigger=True, implicit_output=True
    )
    registry.register(
        ACTIVITY, converter=ActivityTriggerConverter(), trigger=True, implicit_output=True
    )
    registry.register(CLIENT, converter=DurableClientConverter())


# -- the JSON conventions --------------------------------------------------------------


def strict_typing() -> bool:
    """Whether ``AZURE_FUNCTIONS_DURABLE_STRICT_TYPING`` asks for strict typing now.

    Read on every call, as azure.functions reads it.  The lookup of an unset name
    raises and catches a KeyError inside ``os.environ``, which costs more than parsing
    a small activity input: :func:`loads` and :func:`dumps` ask only when the payload
    could come out differently under strict typing.
    """
    return os.environ.get(STRICT_SETTING, "").strip().lower() in _TRUTHY


def _envelope(value: Any) -> dict[str, Any]:
    """The ``{"__class__", "__module__", "__data__"}`` form of an object with to_json."""
    if not hasattr(value, "to_json"):
        raise TypeError(f"class {type(value)} does not expose a `to_json` function")
    return {
        "__class__": value.__class__.__name__,
        "__module__": value.__module__,
        "__data__": type(value).to_json(value),
    }


def _rebuild(obj: dict[str, Any]) -> Any:
    """A JSON object, or the object its envelope describes (``json`` object hook).

    The class comes from a module already in ``sys.modules``: a payload never makes
    the worker import anything.
    """
    if "__class__" not in obj or "__module__" not in obj or "__data__" not in obj:
        return obj
    class_name = obj.pop("__class__")
    module_name = obj.pop("__module__")
    data = obj.pop("__data__")
    module = sys.modules.get(module_name)
    if module is None:
        raise ValueError(
            f"cannot rebuild the custom object: module {module_name!r} is not imported"
        )
    cls = getattr(module, class_name, None)
    if cls is None:
        raise AttributeError(
            f"cannot rebuild the custom object: module {module_name!r} has no class {class_name!r}"
        )
    if not hasattr(cls, "from_json"):
        raise TypeError(f"class {cls!r} does not expose a `from_json` function")
    return cls.from_json(data)


# One encoder, built once (json.dumps builds one per call when given a default).
_LOOSE_ENCODER = json.JSONEncoder(default=_envelope)
_PLAIN_ENCODER = json.JSONEncoder()
_PLAIN_DECODER = json.JSONDecoder()
_HOOKED_DECODER = json.JSONDecoder(object_hook=_rebuild)


def dumps(value: Any) -> str:
    """``value`` as JSON text, objects with ``to_json`` as envelopes (``df_dumps``).

    Strict typing wraps only a top-level object with ``to_json``; everything inside
    must then be plain JSON.
    """
    if not hasattr(value, "to_json"):
        try:
            # Plain JSON is the same text under either typing: the setting is not read.
            return _PLAIN_ENCODER.encode(value)
        except TypeError:
            pass  # an object only an envelope can carry: the setting decides
    if strict_typing():
        if hasattr(value, "to_json"):
            return json.dumps(_envelope(value))
        return json.dumps(value)
    return _LOOSE_ENCODER.encode(value)


def loads(text: Any) -> Any:
    """JSON text parsed, envelopes rebuilt into their objects (``df_loads``).

    Strict typing rebuilds nothing and refuses a top-level envelope (it needs the
    expected type, which a binding is never given).
    """
    if type(text) is str and "__data__" not in text and "\\u" not in text:
        # No object in this text can hold the key "__data__" (only a \u escape could
        # spell it otherwise): no envelope to rebuild or refuse, the same value under
        # either typing, and the setting is not read.
        return _PLAIN_DECODER.decode(text)
    if strict_typing():
        value = json.loads(text)
        if isinstance(value, dict) and all(key in value for key in _ENVELOPE_KEYS):
            raise TypeError(
                "strict Durable typing needs the expected type to rebuild a custom "
                f"object, and a binding has none; the payload declares "
                f"{value['__module__']}.{value['__class__']}"
            )
        return value
    if isinstance(text, str):
        return _HOOKED_DECODER.decode(text)
    return json.loads(text, object_hook=_rebuild)  # bytes: json detects the encoding


# -- orchestrations and entities --------------------------------------------------------


class _TextContext:
    """A context model that is the host's JSON text: ``body`` and ``str()`` give it as sent.

    The stock base ``__init__`` keeps the text under a private name the members below
    replace; it is not called.
    """

    __slots__ = ("_text",)
    _stock_name: str  # how azure.functions' repr names the model

    def __init__(self, body: str | bytes) -> None:
        self._text = body if isinstance(body, str) else bytes(body).decode("utf-8")

    @property
    def body(self) -> str:
        return self._text

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"<azure.{self._stock_name} body={self._text}>"


class OrchestrationContext(_TextContext, StockOrchestrationContext):
    """What an orchestrator receives: the host's orchestration state as JSON text.

    An instance of ``azure.functions.OrchestrationContext``; ``body`` (and ``str()``)
    is the text as the host sent it, which ``azure-functions-durable`` parses.
    """

    __slots__ = ()
    _stock_name = "OrchestrationContext"


class EntityContext(_TextContext, StockEntityContext):
    """What an entity function receives: the host's entity batch as JSON text.

    An instance of ``azure.functions.EntityContext``; ``body`` is the text as sent.
    """

    __slots__ = ()
    _stock_name = "EntityContext"


_TEXT_PAYLOADS = (str, bytes, bytearray, memoryview)


class _ContextTriggerConverter:
    """Orchestration and entity triggers: the context model in, JSON text out."""

    directions = frozenset({"in", "out"})
    binding_type = ""
    model: type = StockOrchestrationContext

    @property
    def accepted_inputs(self) -> str:
        return f"azure.functions.{self.model.__name__}"

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        if spec.kind != "any" and not spec.satisfied_by(self.model):
            return None
        model = self.model
        where = binding_label(binding)

        def decode_context(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
            value = datum.value
            if type(value) is str:
                return model(value)
            if isinstance(value, _TEXT_PAYLOADS):
                try:
                    return model(value)
                except UnicodeDecodeError as exc:
                    raise not_utf8(exc, where, "the state as UTF-8 JSON text") from None
            raise UnsupportedDatumError(
                f"{where}: expected the state as JSON text (json or string), got wire "
                f"type {datum.type!r} holding {describe_value(value)}"
            )

        return decode_context

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        where = binding_label(binding)

        def encode_state(value: Any) -> Datum:
            return _json_datum(value, where)

        return encode_state


def _json_datum(value: Any, where: str) -> Datum:
    """The state a function returns, as the ``json`` the host reads.

    Text goes as is (what ``azure-functions-durable`` returns); None as an empty json
    Datum, which the worker sends as nothing; bytes as their UTF-8 text; other values
    as their JSON.
    """
    if isinstance(value, str) or value is None:
        return Datum(value, "json")
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            return Datum(bytes(value).decode("utf-8"), "json")
        except UnicodeDecodeError as exc:
            raise not_utf8(exc, where, "JSON text", UnsupportedValueError) from None
    try:
        return Datum(json.dumps(value), "json")
    except (TypeError, ValueError, RecursionError) as exc:
        raise UnsupportedValueError(
            f"{where}: expected JSON text or a JSON-serialisable value, got "
            f"{describe_value(value)} ({exc})"
        ) from None


class OrchestrationTriggerConverter(_ContextTriggerConverter):
    """``orchestrationTrigger``: an OrchestrationContext in; the new state out as json."""

    binding_type = ORCHESTRATION
    model = OrchestrationContext


class EntityTriggerConverter(_ContextTriggerConverter):
    """``entityTrigger``: an EntityContext in; the entity's results out as json."""

    binding_type = ENTITY
    model = EntityContext


# -- activities ---------------------------------------------------------------------------


class ActivityTriggerConverter:
    """``activityTrigger``: the input parsed from JSON (Durable conventions) in, the
    result as JSON out; any annotation, as azure.functions allows."""

    directions = frozenset({"in", "out"})
    accepted_inputs = "any annotation"

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        where = binding_label(binding)

        def decode_activity_input(datum: DatumLike, trigger_metadata: Metadata = None) -> Any:
            kind = datum.type
            if kind not in {"json", "string"}:
                raise wrong_wire_kind(
                    where, "the activity input as JSON text (json or string)", kind
                )
            value = datum.value
            try:
                return loads(value)
            except json.JSONDecodeError:
                return value  # not JSON: the text itself, as azure.functions gives it
            except Exception as exc:  # a class that cannot be rebuilt, a bad payload
                raise DecodeError(
                    f"{where}: expected the activity input as JSON text or the JSON of an "
                    f"imported class with from_json, got {describe_value(value)} "
                    f"({type(exc).__name__}: {exc})"
                ) from exc

        return decode_activity_input

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        where = binding_label(binding)

        def encode_activity_result(value: Any) -> Datum:
            try:
                return Datum(dumps(value), "json")
            except (TypeError, ValueError, RecursionError) as exc:
                raise EncodeError(
                    f"{where}: expected a JSON-serialisable result (or an object with "
                    f"to_json), got {describe_value(value)} ({exc})"
                ) from exc

        return encode_activity_result


# -- the client ------------------------------------------------------------------------------


class DurableClientConverter:
    """``durableClient``: the client's configuration as the raw text the host sent.

    ``azure-functions-durable`` builds its ``DurableOrchestrationClient`` from it.
    """

    directions = frozenset({"in", "out"})
    accepted_inputs = "str or bytes (the raw configuration)"
    accepted_outputs = "str, bytes, bytearray, dict, list, int, float, bool or None"

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None:
        if spec.kind != "any" and not spec.subclass_of(str, bytes):
            return None
        where = binding_label(binding)

        def decode_client(datum: DatumLike | None, trigger_metadata: Metadata = None) -> Any:
            if datum is None:
                return None  # the worker's Datum for a TypedData with nothing set
            kind = datum.type
            if kind in {"string", "bytes", "json"}:
                return datum.value
            if kind is None:
                return None
            raise wrong_wire_kind(where, "the client configuration as string, bytes or json", kind)

        return decode_client

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None:
        if spec.kind in ("any", "none") or spec.subclass_of(*_CLIENT_OUTPUTS):
            return encode_client_value
        return None


_CLIENT_OUTPUTS = (str, bytes, bytearray, dict, list, int, float)


def encode_client_value(value: Any) -> Datum:
    """A value on a ``durableClient`` binding, by its type (as azure.functions does)."""
    if isinstance(value, str):
        return Datum(value, "string")
    if isinstance(value, bytes | bytearray):
        return Datum(bytes(value), "bytes")
    if value is None:
        return Datum(None, None)
    for cls, kind in _CLIENT_KINDS:
        if isinstance(value, cls):
            if kind in ("dict", "list"):
                _check_json(value)  # the worker writes them as JSON text, later
            return Datum(value, kind)
    raise UnsupportedValueError(
        f"binding {CLIENT!r}: expected str, bytes, bytearray, dict, list, bool, int, float "
        f"or None, got {describe_value(value)}"
    )


_CLIENT_KINDS: tuple[tuple[type, str], ...] = (
    (dict, "dict"),
    (list, "list"),
    (bool, "bool"),
    (int, "int"),
    (float, "double"),
)


def _check_json(value: Any) -> None:
    """Refuse, naming the binding, a dict or list the worker could not write as JSON."""
    try:
        json.dumps(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise UnsupportedValueError(
            f"binding {CLIENT!r}: expected a JSON-serialisable {type(value).__name__}, got "
            f"{describe_value(value)} ({exc})"
        ) from None
