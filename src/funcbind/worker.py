"""The worker protocol: funcbind as a drop-in for ``azure.functions.get_binding_registry()``.

Language workers call ``get_binding_registry().get(binding_type)`` and then, on
what it returns, ``has_trigger_support()``, ``has_implicit_output()``,
``check_input_type_annotation(pytype)``, ``check_output_type_annotation(pytype)``,
``decode(datum, *, trigger_metadata, pytype=None)`` and ``encode(obj, *,
expected_type)``.  ``None`` from ``get`` tells the worker to use its own generic
binding.  Decoders and encoders are compiled once per annotation and kept.

Workers pass no annotation to ``decode`` (except for deferred SDK types): it decodes for
no annotation, or, for a converter that refuses none (and has no ``model``, see
:mod:`funcbind.converter`), for the input annotation the worker checked at function load.
The safety net: a binding type name that the installed ``azure.functions`` registry
knows and funcbind has no converter for (a family not built yet, or one a newer
azure.functions release adds) is answered with azure.functions' own converter,
unchanged, so that a function the stock registry loads also loads here.
:func:`safety_net_names` lists the names served that way; docs/compatibility.md has
the table.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import types
import typing
from collections.abc import Mapping
from typing import Any

from ._typing import ANY, normalize
from .converter import converter_attribute, decoder_attribute
from .datum import Datum, DatumLike
from .errors import AnnotationError, FuncbindError, UnsupportedDatumError
from .registry import BindingSpec, Decoder, Encoder, Registration, Registry, default_registry

__all__ = [
    "WorkerBinding",
    "WorkerRegistry",
    "get_binding_registry",
    "safety_net_names",
    "stock_binding_names",
]

_logger = logging.getLogger("funcbind.worker")


class WorkerBinding:
    """One binding type as a worker sees it; every method the workers call."""

    __slots__ = (
        "_checked",
        "_checked_shapes",
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
        # For a converter without a model: the decoder of the first input annotation
        # the worker checked, and the shapes of all it checked (see _bare_decoder).
        self._checked: Decoder | None = None
        self._checked_shapes: list[str] = []  # in the order checked

    def __repr__(self) -> str:
        return f"<funcbind binding {self.name!r} ({self._registration.describe()})>"

    def has_trigger_support(self) -> bool:
        return self._registration.trigger

    def has_implicit_output(self, *_: object) -> bool:
        return self._registration.implicit_output

    def check_input_type_annotation(self, pytype: Any) -> bool:
        """Whether this binding can decode into ``pytype``; never raises.

        Workers call ``decode`` without the annotation (except for deferred SDK
        types), so for a converter with a ``model`` an annotation is accepted only when
        the model satisfies it (a ``queueTrigger`` parameter annotated ``dict`` would
        otherwise receive a QueueMessage), or when a worker never decodes it here (see
        :func:`_worker_never_decodes`).  For a converter without a model, the
        annotation is remembered: should the converter refuse "no annotation", ``decode``
        without one serves the annotation checked.  A converter whose
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
            if decoder_attribute(decoder, "supports_deferred_binding"):
                return True  # the worker passes pytype= for these
            delivers = converter_attribute(self._registration.converter, "delivers")
            if delivers is not None:  # a family whose decode picks among models
                return bool(delivers(normalize(pytype)))
            model = self._registration.model
            spec = normalize(pytype)
            if model is None:
                self._remember(spec.describe(), decoder)
                return True
            if spec.kind == "list" and converter_attribute(self._registration.converter, "batches"):
                # A batch trigger's model may arrive as a list (cardinality many).
                return spec.item is not None and spec.item.satisfied_by(model)
            return (
                spec.kind == "any"
                or spec.satisfied_by(model)
                or _worker_never_decodes(pytype, self._registration)
            )
        except Exception:
            return False

    def _remember(self, shape: str, decoder: Decoder) -> None:
        """Keep the decoder of a checked annotation for ``decode`` without one."""
        shapes = self._checked_shapes
        if shape not in shapes:
            shapes.append(shape)
            if self._checked is None:
                self._checked = decoder
            self._default_decoder = None  # chosen again, knowing this annotation

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
                decoder = self._default_decoder = self._bare_decoder()
            return decoder
        try:
            return self._decoders[pytype]
        except (KeyError, TypeError):
            pass
        decoder = self._registry.decoder(self.name, pytype, self._spec("in"))
        with contextlib.suppress(TypeError):  # unhashable: compiled each time, still correct
            self._decoders[pytype] = decoder
        return decoder

    def _bare_decoder(self) -> Decoder:
        """The decoder for ``decode`` without an annotation, as a worker calls it."""
        try:
            return self._registry.decoder(self.name, ANY, self._spec("in"))
        except AnnotationError as exc:
            refused = exc
        checked, shapes = self._checked, self._checked_shapes
        if checked is not None:
            if len(shapes) > 1:
                # The worker does not say which parameter it decodes for: one decoder
                # serves every annotation of the binding, so say which.
                _logger.warning(
                    "binding %r (%s) is annotated %s in this app, but its converter has no "
                    "model and refuses no annotation, and workers decode without the "
                    "annotation: every parameter gets what the first, %s, asks for; give "
                    "the converter a model or use one annotation",
                    self.name,
                    self._registration.describe(),
                    " and ".join(shapes),
                    shapes[0],
                )
            return checked
        # Raised at each call (a worker reports it per invocation), as the error
        # workers expect for data a binding cannot decode.
        message = (
            f"binding {self.name!r}: decoding without an annotation needs a converter "
            f"that accepts no annotation or has a model, and "
            f"{self._registration.describe()} does neither ({refused.message}); annotate "
            "the parameter"
        )

        def refuse(datum: DatumLike, trigger_metadata: Any = None) -> Any:
            raise UnsupportedDatumError(message)

        return refuse

    def _spec(self, direction: str) -> BindingSpec:
        return BindingSpec(type=self.name, direction=direction)


def _worker_never_decodes(pytype: Any, registration: Registration) -> bool:
    """Whether workers never decode a parameter annotated ``pytype`` without its annotation.

    Workers give parameters annotated exactly ``str`` or ``bytes`` to their own generic
    binding (unless the binding takes the return value implicitly), and refuse unions
    (``Optional[bytes]``, ``bytes | None``) as non-type annotations before asking any
    registry.  Other callers of the registry may still ask about them, and pass
    ``pytype`` to ``decode``, so they are accepted whenever the converter compiles them.
    """
    if pytype is str or pytype is bytes:
        return not registration.implicit_output
    return typing.get_origin(pytype) in (typing.Union, types.UnionType)


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
        self._bindings: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        """The binding for ``name``: funcbind's, else azure.functions' (the safety net).

        None only for names neither knows; the worker then uses its generic binding.
        """
        try:
            return self._bindings[name]
        except KeyError:
            pass
        registration = self.registry.get(name)
        binding: Any
        if registration is not None:
            binding = WorkerBinding(self.registry, registration)
        else:
            binding = _stock_converter(name)
        self._bindings[name] = binding
        return binding

    def safety_net_names(self) -> list[str]:
        """The names this registry answers with azure.functions' own converter."""
        return [name for name in stock_binding_names() if name not in self.registry]


def _stock_registry() -> Any:
    """azure.functions' converter table: the metaclass that holds one dict of them.

    Read from ``azure.functions.meta`` itself, never through
    ``azure.functions.get_binding_registry``: an app that plugs funcbind in replaces
    that function with funcbind's (docs/compatibility.md), which would loop back here.
    Imported on first use so that ``import funcbind`` stays light.
    """
    from azure.functions import meta

    return meta._ConverterMeta


def _stock_converter(name: str) -> Any:
    # Only string names: the stock table's stray key True is no binding type.
    return _stock_registry().get(name) if isinstance(name, str) else None


def stock_binding_names() -> list[str]:
    """Every binding type name the installed azure.functions registry knows, sorted.

    Its table also holds a stray key ``True`` (a trigger converter declared with
    ``trigger=True``), which is no binding type name and is left out.
    """
    return sorted(name for name in _stock_registry()._bindings if isinstance(name, str))


def safety_net_names() -> list[str]:
    """The names ``get_binding_registry()`` answers with azure.functions' own converter."""
    return get_binding_registry().safety_net_names()


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
