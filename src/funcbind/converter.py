"""The converter protocol: every attribute funcbind reads from a converter, with its default.

A converter is any object.  What funcbind reads from it, and from the decoders its
factories return, is listed here and nowhere else: the registry, the function compiler,
the worker facade and the deferred-binding planner read through
:func:`converter_attribute` and :func:`decoder_attribute`, which refuse a name these
tables do not hold.  ``docs/registry.md`` shows the same tables.

On the converter (:data:`CONVERTER_ATTRIBUTES`):

==================== ============= ==========================================================
attribute            default       meaning
==================== ============= ==========================================================
``directions``       (none)        ``{"in"}``, ``{"out"}`` or both; required unless
                                   ``register(directions=...)`` says it
``decoder``          (none)        ``decoder(spec, binding) -> Decoder | None``; required
                                   for ``"in"``
``encoder``          (none)        ``encoder(spec, binding) -> Encoder | None``; required
                                   for ``"out"``
``model``            None          the class ``decode()`` gives when a worker passes no
                                   annotation; the worker facade then accepts only input
                                   annotations it satisfies.  Without one, a converter
                                   that refuses no annotation decodes for the annotation
                                   the worker checked
``delivers``         None          ``delivers(spec) -> bool``, for a family whose payload
                                   picks among models (Event Grid events or CloudEvents):
                                   whether ``decode()`` without an annotation gives what
                                   ``spec`` asks for; the worker facade asks it before
                                   ``model``
``batches``          False         ``decode()`` may give a list of ``model`` (a batch
                                   trigger, cardinality many): the worker facade also
                                   accepts ``list[model]``
``accepted_inputs``  None          text naming the input annotations, for error messages
``accepted_outputs`` None          text naming the output annotations, for error messages
==================== ============= ==========================================================

On a compiled decoder (:data:`DECODER_ATTRIBUTES`), for Storage SDK style parameters that
take a reference (``model_binding_data``) instead of content:

============================= ======= ===================================================
attribute                     default meaning
============================= ======= ===================================================
``supports_deferred_binding`` False   the decoder reads references: the host is asked for
                                      them, and workers pass the annotation to ``decode``
``source``                    None    the ``ModelBindingData`` source the host should send
``collection``                False   the parameter is a list: the host sends a collection
``asynchronous``              False   the parameter is an aio client
============================= ======= ===================================================

Chosen at registration (``Registry.register`` arguments, kept on the
:class:`~funcbind.registry.Registration`): ``trigger`` (default False: the binding
starts a function and its decoder receives trigger metadata) and ``implicit_output``
(default False: the binding takes a function's return value without a ``$return``
binding).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from .datum import Datum, DatumLike

if TYPE_CHECKING:
    from ._typing import TypeSpec

__all__ = [
    "CONVERTER_ATTRIBUTES",
    "DECODER_ATTRIBUTES",
    "Attribute",
    "BindingSpec",
    "Decoder",
    "Direction",
    "Encoder",
    "InputConverter",
    "OutputConverter",
    "converter_attribute",
    "decoder_attribute",
]

Direction = Literal["in", "out"]
Decoder = Callable[[DatumLike, "Mapping[str, DatumLike] | None"], Any]
Encoder = Callable[[Any], "Datum | None"]


@dataclass(frozen=True)
class BindingSpec:
    """What a converter may know of the binding it compiles for.

    ``data_type`` is function.json's ``dataType`` (``binary``, ``string``,
    ``stream``) or None; ``properties`` are the binding's other raw fields.
    """

    type: str
    name: str = ""
    direction: str = "in"
    data_type: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


class InputConverter(Protocol):
    """A converter serving ``"in"``: compiles an annotation into a decoder, once.

    The decoder is called as ``decode(datum, trigger_metadata)``; ``trigger_metadata``
    is a mapping of Datum-like objects for a trigger binding, None otherwise.  None from
    the factory means "this annotation is not accepted".
    """

    def decoder(self, spec: TypeSpec, binding: BindingSpec) -> Decoder | None: ...


class OutputConverter(Protocol):
    """A converter serving ``"out"``: compiles an annotation into an encoder, once.

    The encoder is called as ``encode(value)`` and returns a Datum, or None for "send
    nothing".  Workers compile one encoder for any annotation, so it should dispatch on
    the value.
    """

    def encoder(self, spec: TypeSpec, binding: BindingSpec) -> Encoder | None: ...


@dataclass(frozen=True)
class Attribute:
    """One attribute funcbind reads: its name, its default and what it means."""

    name: str
    default: Any
    meaning: str


_REQUIRED: Any = None  # the default of attributes registration insists on


def _table(*attributes: Attribute) -> Mapping[str, Attribute]:
    return {attribute.name: attribute for attribute in attributes}


CONVERTER_ATTRIBUTES: Mapping[str, Attribute] = _table(
    Attribute(
        "directions",
        frozenset(),
        'the directions served, "in" and/or "out"; or register(directions=...)',
    ),
    Attribute("decoder", _REQUIRED, 'decoder(spec, binding) -> Decoder | None, for "in"'),
    Attribute("encoder", _REQUIRED, 'encoder(spec, binding) -> Encoder | None, for "out"'),
    Attribute(
        "model",
        None,
        "the class decode() gives without an annotation (worker facade); without one, a "
        "converter that refuses no annotation decodes for the annotation the worker checked",
    ),
    Attribute(
        "delivers",
        None,
        "delivers(spec) -> bool: whether decode() without an annotation gives what the "
        "annotation asks for, for a family whose payload picks among models (worker facade)",
    ),
    Attribute(
        "batches",
        False,
        "decode() may give a list of the model (a batch trigger, cardinality many): the "
        "worker facade then also accepts list[model]",
    ),
    Attribute("accepted_inputs", None, "the input annotations accepted, for error messages"),
    Attribute("accepted_outputs", None, "the output annotations accepted, for error messages"),
)

DECODER_ATTRIBUTES: Mapping[str, Attribute] = _table(
    Attribute(
        "supports_deferred_binding",
        False,
        "the decoder reads references (model_binding_data), not content",
    ),
    Attribute("source", None, "the ModelBindingData source the host should send"),
    Attribute("collection", False, "the parameter is a list of references"),
    Attribute("asynchronous", False, "the parameter is an aio client"),
)


def converter_attribute(converter: object, name: str) -> Any:
    """``converter.<name>``, or the documented default when it has none."""
    return getattr(converter, name, CONVERTER_ATTRIBUTES[name].default)


def decoder_attribute(decoder: object, name: str) -> Any:
    """``decoder.<name>`` of a compiled decoder, or the documented default."""
    return getattr(decoder, name, DECODER_ATTRIBUTES[name].default)
