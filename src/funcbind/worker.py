"""The worker protocol: funcbind as a drop-in for ``azure.functions.get_binding_registry()``.

Language workers call ``get_binding_registry().get(binding_type)`` and then, on
what it returns, ``has_trigger_support()``, ``has_implicit_output()``,
``check_input_type_annotation(pytype)``, ``check_output_type_annotation(pytype)``,
``decode(datum, *, trigger_metadata, pytype=None)`` and ``encode(obj, *,
expected_type)``.  ``None`` from ``get`` tells the worker to use its own generic
binding.  Decoders and encoders are compiled once per annotation and kept.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from typing import Any

from ._typing import ANY, normalize
from .datum import Datum, DatumLike
from .errors import FuncbindError
from .registry import BindingSpec, Decoder, Encoder, Registration, Registry, default_registry

__all__ = ["WorkerBinding", "WorkerRegistry", "get_binding_registry"]


class WorkerBinding:
    """One binding type as a worker sees it; every method the workers call."""

    __slots__ = (
        "_decoders",
        "_default_decoder",
        "_encoder",
        "_input_checks",
        "_output_checks",
        "_registration",
        "_registry",
        "name",
    )

    def __init__(self, registry: Registry, registration: Registration) -> None:
        self._registry = registry
        self._registration = registration
        self.name = registration.name
        self._decoders: dict[Any, Decoder] = {}
        self._default_decoder: Decoder | None = None
        self._encoder: Encoder | None = None
        # Answers per annotation: the registry behind a facade is not re-registered
        # into once workers use it (get_binding_registry builds it complete).
        self._input_checks: dict[Any, bool] = {}
        self._output_checks: dict[Any, bool] = {}

    def __repr__(self) -> str:
        return f"<funcbind binding {self.name!r} ({self._registration.describe()})>"

    def has_trigger_support(self) -> bool:
        return self._registration.trigger

    def has_implicit_output(self, *_: object) -> bool:
        return self._registration.implicit_output

    def check_input_type_annotation(self, pytype: Any) -> bool:
        """Whether this binding can decode into ``pytype``; never raises.

        Workers call ``decode`` without the annotation (except for deferred SDK
        types), so an annotation is only accepted here when the binding's own model
        (the converter's ``model``) satisfies it: a ``queueTrigger`` parameter
        annotated ``dict`` would otherwise receive a QueueMessage.  A converter whose
        ``batches`` is true may also deliver a list of its model (a batch trigger).
        """
        try:
            return self._input_checks[pytype]
        except (KeyError, TypeError):
            pass
        accepted = self._check_input(pytype)
        with contextlib.suppress(TypeError):  # unhashable: answered again next time
            self._input_checks[pytype] = accepted
        return accepted

    def _check_input(self, pytype: Any) -> bool:
        if "in" not in self._registration.directions:
            return False
        try:
            decoder = self._registry.decoder(self.name, pytype, self._spec("in"))
            if getattr(decoder, "supports_deferred_binding", False):
                return True  # the worker passes pytype= for these
            model = getattr(self._registration.converter, "model", None)
            if model is None:
                return True
            spec = normalize(pytype)
            if spec.kind == "list" and getattr(self._registration.converter, "batches", False):
                # A batch trigger's model may arrive as a list (cardinality many).
                return spec.item is not None and spec.item.satisfied_by(model)
            return spec.kind == "any" or spec.satisfied_by(model)
        except Exception:
            return False

    def check_output_type_annotation(self, pytype: Any) -> bool:
        """Whether this binding can encode values annotated ``pytype``; never raises."""
        try:
            return self._output_checks[pytype]
        except (KeyError, TypeError):
            pass
        accepted = "out" in self._registration.directions
        if accepted:
            try:
                self._registry.encoder(self.name, pytype, self._spec("out"))
            except Exception:
                accepted = False
        with contextlib.suppress(TypeError):
            self._output_checks[pytype] = accepted
        return accepted

    def decode(
        self,
        data: DatumLike,
        *,
        trigger_metadata: Mapping[str, DatumLike] | None = None,
        pytype: Any = None,
    ) -> Any:
        """Decode wire data; without ``pytype`` into the binding's own model."""
        decoder = self._decoder_for(pytype)
        metadata = trigger_metadata if self._registration.trigger else None
        return decoder(data, metadata)

    def encode(self, obj: Any, *, expected_type: Any = None) -> Datum:
        """Encode a value returned or set by a function; dispatches on the value.

        The result is shaped for the workers' ``datum_as_proto``: "nothing" is
        ``Datum(None, None)``, and binary buffers are ``bytes`` (see ``_for_workers``).
        """
        encoder = self._encoder
        if encoder is None:
            encoder = self._encoder = self._registry.encoder(self.name, ANY, self._spec("out"))
        try:
            return _for_workers(encoder(obj))
        except FuncbindError as exc:
            # The worker shows this message as is: say which binding refused the value.
            raise exc.at(binding=self.name) from exc

    def _decoder_for(self, pytype: Any) -> Decoder:
        if pytype is None:
            decoder = self._default_decoder
            if decoder is None:
                decoder = self._registry.decoder(self.name, ANY, self._spec("in"))
                self._default_decoder = decoder
            return decoder
        try:
            return self._decoders[pytype]
        except (KeyError, TypeError):
            pass
        decoder = self._registry.decoder(self.name, pytype, self._spec("in"))
        with contextlib.suppress(TypeError):  # unhashable: compiled each time, still correct
            self._decoders[pytype] = decoder
        return decoder

    def _spec(self, direction: str) -> BindingSpec:
        return BindingSpec(type=self.name, direction=direction)


_NOTHING = Datum(None, None)


def _for_workers(datum: Datum | None) -> Datum:
    """Adapt an encoded Datum to what the stock workers can put on the wire.

    Encoders pass bytearray and memoryview through untouched so that funcbind's own
    wire adapter copies them once, into the message.  The workers instead hand the
    value straight to ``TypedData(bytes=...)``, which accepts only ``bytes``: convert
    here, once, at the worker boundary.  The workers also need a Datum for "send
    nothing" (``type`` None) where funcbind's encoders say None.
    """
    if datum is None:
        return _NOTHING
    kind = datum.type
    if kind == "bytes":
        if type(datum.value) is not bytes:
            return Datum(bytes(datum.value), "bytes")
    elif kind == "http":
        body = datum.value.get("body")
        if body is not None and body.type == "bytes" and type(body.value) is not bytes:
            response = dict(datum.value)
            response["body"] = Datum(bytes(body.value), "bytes")
            return Datum(response, "http")
    return datum


class WorkerRegistry:
    """The object ``get_binding_registry()`` returns: ``get(name)`` per binding type."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._bindings: dict[str, WorkerBinding | None] = {}

    def get(self, name: str) -> WorkerBinding | None:
        """The binding for ``name``, or None when funcbind does not handle it."""
        try:
            return self._bindings[name]
        except KeyError:
            pass
        registration = self.registry.get(name)
        binding = WorkerBinding(self.registry, registration) if registration else None
        self._bindings[name] = binding
        return binding


_default: WorkerRegistry | None = None
_default_lock = threading.Lock()


def get_binding_registry() -> WorkerRegistry:
    """The process-wide worker registry over ``default_registry(plugins=True)``.

    Built on first call.  A plugin that fails to load is reported as a
    :class:`~funcbind.errors.RegistrationError` here, at worker start-up.
    """
    global _default  # noqa: PLW0603 - one lazily built registry per process
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = WorkerRegistry(default_registry(plugins=True))
    return _default


def _reset_for_tests() -> None:
    global _default  # noqa: PLW0603 - one lazily built registry per process
    _default = None
