"""A duck-typed stand-in for the generated Functions protobuf classes, for tests.

Only the API surface funcbind's wire adapters use, with the behaviours that matter to
them copied from the real (upb) classes:

- constructor keyword arguments; ``None`` leaves a field unset; a dict is accepted
  wherever a message is expected (also inside repeated fields), except as the value of
  a map entry, which protobuf 5 refuses;
- ``WhichOneof``, ``HasField`` (ValueError for fields without presence), map fields
  (``items``, ``in``, and indexing a missing key of a message map inserts a default
  entry), repeated fields;
- type checks: a ``bool`` for an integer field, a ``bytearray``/``memoryview`` for a
  ``bytes`` field and out-of-range integers are refused, as upb refuses them;
- every read of a ``bytes`` field returns a fresh copy and is counted in ``reads``, so
  a test can prove a field is read exactly once.

``real_namespace()`` builds the real classes from descriptors when the ``protobuf``
package is installed, so the same tests can run against both.
"""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace
from typing import Any, ClassVar

_INT_RANGES = {
    "sint64": (-(2**63), 2**63 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "enum": (-(2**31), 2**31 - 1),
}
_DEFAULTS: dict[str, Any] = {"string": "", "bytes": b"", "double": 0.0, "bool": False}
_SCALAR_KINDS = frozenset({"string", "bytes", "double", "bool", *_INT_RANGES})


def _check_scalar(owner: str, name: str, kind: str, value: Any) -> Any:
    where = f"{owner}.{name}"
    if kind in _INT_RANGES:
        if isinstance(value, bool):
            raise TypeError(f"Field {where}: Expected an int, got a boolean.")
        if not isinstance(value, int):
            raise TypeError(f"Field {where}: expected an int, got {type(value).__name__}")
        low, high = _INT_RANGES[kind]
        if not low <= value <= high:
            raise ValueError(f"Value out of range: {value}")
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise TypeError(f"Field {where}: expected str, got {type(value).__name__}")
        return value
    if kind == "bytes":
        if type(value) is not bytes:
            raise TypeError(f"expected bytes, {type(value).__name__} found")
        return value
    if kind == "double":
        if not isinstance(value, int | float):
            raise TypeError(f"Field {where}: expected a number, got {type(value).__name__}")
        return float(value)
    if kind == "bool":
        if not isinstance(value, bool | int):
            raise TypeError(f"Field {where}: expected a bool, got {type(value).__name__}")
        return bool(value)
    raise AssertionError(f"unknown scalar kind {kind}")


class MessageMap(dict[str, Any]):
    """A ``map<string, Message>`` field: indexing a missing key inserts a default message."""

    def __init__(self, message_class: type[Message], entries: Any = ()) -> None:
        super().__init__()
        self._message_class = message_class
        for key, value in dict(entries).items():
            # protobuf 5 refuses a dict as a map value (7 takes it): be the stricter one.
            if not isinstance(value, message_class):
                raise TypeError(
                    "Parameter to CopyFrom() must be instance of same class: expected "
                    f"{message_class.__name__} got {type(value).__name__}."
                )
            self[key] = value

    def __missing__(self, key: str) -> Message:
        created = self[key] = self._message_class()
        return created


def _as_message(message_class: type[Message], value: Any) -> Message:
    if isinstance(value, dict):
        return message_class(**value)
    if not isinstance(value, message_class):
        raise TypeError(
            f"expected {message_class.__name__}, got {type(value).__name__} {value!r:.40}"
        )
    return value


class Message:
    """Base of the stand-in messages.

    ``FIELDS`` maps each field to its type: a scalar kind (``string``, ``bytes``,
    ``sint64``, ``double``, ``bool``, ``enum``...), a message class name, ``"map:T"``
    or ``"repeated:T"``.  ``ONEOFS`` maps each oneof group to its member fields.
    """

    FIELDS: ClassVar[dict[str, str]] = {}
    ONEOFS: ClassVar[dict[str, tuple[str, ...]]] = {}
    # Derived per class: the fields HasField accepts, and each oneof member's group.
    _PRESENCE: ClassVar[frozenset[str]] = frozenset()
    _GROUP_OF: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._GROUP_OF = {m: group for group, members in cls.ONEOFS.items() for m in members}
        cls._PRESENCE = frozenset(
            name
            for name, kind in cls.FIELDS.items()
            if name in cls._GROUP_OF
            or not (kind in _SCALAR_KINDS or kind.startswith(("map:", "repeated:")))
        )

    def __init__(self, **fields: Any) -> None:
        # _values holds what was set (presence, oneofs, equality); each value except a
        # bytes one is also an instance attribute, so reading it costs what an
        # attribute read costs, as with upb.
        self.__dict__["_values"] = {}
        self.__dict__["reads"] = {}
        for name, value in fields.items():
            if name not in self.FIELDS:
                raise ValueError(f'Protocol message {type(self).__name__} has no "{name}" field.')
            if value is not None:
                self._set(name, value)

    def _set(self, name: str, value: Any) -> None:
        kind = self.FIELDS[name]
        if kind.startswith("map:"):
            item = kind[4:]
            if item in _SCALAR_KINDS:
                value = {
                    _check_scalar(type(self).__name__, name, "string", k): _check_scalar(
                        type(self).__name__, name, item, v
                    )
                    for k, v in dict(value).items()
                }
            else:
                value = MessageMap(_message_class(item), value)
        elif kind.startswith("repeated:"):
            item = kind[9:]
            if isinstance(value, str | bytes | dict):
                raise TypeError(f"a repeated field takes a list, got {type(value).__name__}")
            if item in _SCALAR_KINDS:
                value = [_check_scalar(type(self).__name__, name, item, v) for v in value]
            else:
                value = [_as_message(_message_class(item), v) for v in value]
        elif kind in _SCALAR_KINDS:
            value = _check_scalar(type(self).__name__, name, kind, value)
        else:
            value = _as_message(_message_class(kind), value)
        group = self._GROUP_OF.get(name)
        if group is not None:
            for other in self.ONEOFS[group]:
                self._values.pop(other, None)
                self.__dict__.pop(other, None)
        self._values[name] = value
        if kind != "bytes":
            self.__dict__[name] = value

    def __getattr__(self, name: str) -> Any:
        fields = type(self).FIELDS
        if name not in fields:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        kind = fields[name]
        values = self.__dict__["_values"]
        if name in values:
            value = values[name]
            if kind == "bytes":
                self.reads[name] = self.reads.get(name, 0) + 1
                return bytes(memoryview(value))  # a fresh copy, as upb makes
            return value
        if kind.startswith("map:"):
            item = kind[4:]
            empty = {} if item in _SCALAR_KINDS else MessageMap(_message_class(item))
            values[name] = self.__dict__[name] = empty
            return empty
        if kind.startswith("repeated:"):
            values[name] = self.__dict__[name] = []
            return values[name]
        if kind in _SCALAR_KINDS:
            if kind == "bytes":
                self.reads[name] = self.reads.get(name, 0) + 1
            return _DEFAULTS.get(kind, 0)
        return _message_class(kind)()

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in type(self).FIELDS:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        self._set(name, value)

    def WhichOneof(self, group: str) -> str | None:
        if group not in self.ONEOFS:
            raise ValueError(f'Protocol message has no "{group}" field.')
        for member in self.ONEOFS[group]:
            if member in self._values:
                return member
        return None

    def HasField(self, name: str) -> bool:
        if name in self._PRESENCE:
            return name in self._values
        if name in self.ONEOFS:
            return self.WhichOneof(name) is not None
        raise ValueError(f"Field {type(self).__name__}.{name} does not have presence.")

    def _comparable(self) -> dict[str, Any]:
        result = {}
        for name, value in self._values.items():
            kind = self.FIELDS[name]
            if kind.startswith(("map:", "repeated:")) and not value:
                continue
            if (
                kind in _SCALAR_KINDS
                and name not in self._GROUP_OF
                and value == _DEFAULTS.get(kind, 0)
            ):
                continue
            result[name] = dict(value) if isinstance(value, MessageMap) else value
        return result

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._comparable() == other._comparable()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._comparable().items())
        return f"{type(self).__name__}({inner})"


def _message_class(name: str) -> type[Message]:
    found = globals()[name]
    assert isinstance(found, type) and issubclass(found, Message)
    return found


def _nullable(name: str, kind: str, group: str) -> type[Message]:
    return type(name, (Message,), {"FIELDS": {"value": kind}, "ONEOFS": {group: ("value",)}})


class Timestamp(Message):
    FIELDS: ClassVar[dict[str, str]] = {"seconds": "int64", "nanos": "int32"}


NullableString = _nullable("NullableString", "string", "string")
NullableDouble = _nullable("NullableDouble", "double", "double")
NullableBool = _nullable("NullableBool", "bool", "bool")
NullableTimestamp = _nullable("NullableTimestamp", "Timestamp", "timestamp")


class RpcClaim(Message):
    FIELDS: ClassVar[dict[str, str]] = {"value": "string", "type": "string"}


class RpcClaimsIdentity(Message):
    FIELDS: ClassVar[dict[str, str]] = {
        "authentication_type": "NullableString",
        "name_claim_type": "NullableString",
        "role_claim_type": "NullableString",
        "claims": "repeated:RpcClaim",
    }


class CollectionString(Message):
    FIELDS: ClassVar[dict[str, str]] = {"string": "repeated:string"}


class CollectionBytes(Message):
    FIELDS: ClassVar[dict[str, str]] = {"bytes": "repeated:bytes"}


class CollectionDouble(Message):
    FIELDS: ClassVar[dict[str, str]] = {"double": "repeated:double"}


class CollectionSInt64(Message):
    FIELDS: ClassVar[dict[str, str]] = {"sint64": "repeated:sint64"}


class ModelBindingData(Message):
    FIELDS: ClassVar[dict[str, str]] = {
        "version": "string",
        "source": "string",
        "content_type": "string",
        "content": "bytes",
    }


class CollectionModelBindingData(Message):
    FIELDS: ClassVar[dict[str, str]] = {"model_binding_data": "repeated:ModelBindingData"}


class RpcHttpCookie(Message):
    class SameSite:
        Lax = 1
        Strict = 2
        ExplicitNone = 3

    FIELDS: ClassVar[dict[str, str]] = {
        "name": "string",
        "value": "string",
        "domain": "NullableString",
        "path": "NullableString",
        "expires": "NullableTimestamp",
        "secure": "NullableBool",
        "http_only": "NullableBool",
        "same_site": "enum",
        "max_age": "NullableDouble",
    }


setattr(RpcHttpCookie.SameSite, "None", 0)


class RpcHttp(Message):
    FIELDS: ClassVar[dict[str, str]] = {
        "method": "string",
        "url": "string",
        "headers": "map:string",
        "body": "TypedData",
        "params": "map:string",
        "status_code": "string",
        "query": "map:string",
        "enable_content_negotiation": "bool",
        "rawBody": "TypedData",
        "identities": "repeated:RpcClaimsIdentity",
        "cookies": "repeated:RpcHttpCookie",
        "nullable_headers": "map:NullableString",
        "nullable_params": "map:NullableString",
        "nullable_query": "map:NullableString",
    }


class TypedData(Message):
    FIELDS: ClassVar[dict[str, str]] = {
        "string": "string",
        "json": "string",
        "bytes": "bytes",
        "stream": "bytes",
        "http": "RpcHttp",
        "int": "sint64",
        "double": "double",
        "collection_bytes": "CollectionBytes",
        "collection_string": "CollectionString",
        "collection_double": "CollectionDouble",
        "collection_sint64": "CollectionSInt64",
        "model_binding_data": "ModelBindingData",
        "collection_model_binding_data": "CollectionModelBindingData",
    }
    ONEOFS: ClassVar[dict[str, tuple[str, ...]]] = {"data": tuple(FIELDS)}


MESSAGE_NAMES = (
    "TypedData",
    "RpcHttp",
    "RpcHttpCookie",
    "NullableString",
    "NullableDouble",
    "NullableBool",
    "NullableTimestamp",
    "RpcClaimsIdentity",
    "RpcClaim",
    "CollectionString",
    "CollectionBytes",
    "CollectionDouble",
    "CollectionSInt64",
    "ModelBindingData",
    "CollectionModelBindingData",
)

# The namespace tests pass to funcbind.wire as ``pb``.
STAND_IN = SimpleNamespace(**{name: globals()[name] for name in MESSAGE_NAMES})


def trigger_metadata(entries: dict[str, Any]) -> MessageMap:
    """A ``map<string, TypedData>`` as an InvocationRequest carries its trigger metadata."""
    return MessageMap(TypedData, entries)


# -- the real classes, when protobuf is installed -----------------------------------------


def real_namespace() -> SimpleNamespace:
    """The same messages as real generated protobuf classes, built from descriptors.

    Mirrors FunctionRpc.proto, NullableTypes.proto and ClaimsIdentityRpc.proto (field
    names, numbers and types) without protoc.  Needs the ``protobuf`` package.
    """
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2

    field_proto = descriptor_pb2.FieldDescriptorProto
    scalar_types = {
        "string": field_proto.TYPE_STRING,
        "bytes": field_proto.TYPE_BYTES,
        "bool": field_proto.TYPE_BOOL,
        "double": field_proto.TYPE_DOUBLE,
        "sint64": field_proto.TYPE_SINT64,
        "int64": field_proto.TYPE_INT64,
        "int32": field_proto.TYPE_INT32,
    }
    package = "AzureFunctionsRpcMessages"
    numbers = {"RpcHttp": [1, 2, 3, 4, 10, 12, 15, 16, 17, 18, 19, 20, 21, 22]}
    file_proto = descriptor_pb2.FileDescriptorProto(
        name="funcbind_tests_function_rpc.proto", package=package, syntax="proto3"
    )
    file_proto.dependency.append("google/protobuf/timestamp.proto")

    def set_type(field: Any, kind: str) -> None:
        if kind in scalar_types:
            field.type = scalar_types[kind]
        elif kind == "enum":
            field.type = field_proto.TYPE_ENUM
            field.type_name = f".{package}.RpcHttpCookie.SameSite"
        elif kind == "Timestamp":
            field.type = field_proto.TYPE_MESSAGE
            field.type_name = ".google.protobuf.Timestamp"
        else:
            field.type = field_proto.TYPE_MESSAGE
            field.type_name = f".{package}.{kind}"

    for name in MESSAGE_NAMES:
        cls = _message_class(name)
        message = file_proto.message_type.add(name=name)
        groups = list(cls.ONEOFS)
        for group in groups:
            message.oneof_decl.add(name=group)
        if name == "RpcHttpCookie":
            enum = message.enum_type.add(name="SameSite")
            for label, number in (("None", 0), ("Lax", 1), ("Strict", 2), ("ExplicitNone", 3)):
                enum.value.add(name=label, number=number)
        for index, (field_name, kind) in enumerate(cls.FIELDS.items()):
            number = numbers.get(name, list(range(1, 20)))[index]
            field = message.field.add(name=field_name, number=number)
            field.label = field_proto.LABEL_OPTIONAL
            if kind.startswith("map:"):
                entry = message.nested_type.add(name=_entry_name(field_name))
                entry.options.map_entry = True
                entry.field.add(
                    name="key", number=1, type=field_proto.TYPE_STRING, label=field.label
                )
                set_type(entry.field.add(name="value", number=2, label=field.label), kind[4:])
                field.label = field_proto.LABEL_REPEATED
                field.type = field_proto.TYPE_MESSAGE
                field.type_name = f".{package}.{name}.{entry.name}"
                continue
            if kind.startswith("repeated:"):
                field.label = field_proto.LABEL_REPEATED
            set_type(field, kind.removeprefix("repeated:"))
            for group_index, group in enumerate(groups):
                if field_name in cls.ONEOFS[group]:
                    field.oneof_index = group_index

    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(file_proto)
    return SimpleNamespace(
        **{
            name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.{name}"))
            for name in MESSAGE_NAMES
        }
    )


def _entry_name(field_name: str) -> str:
    return "".join(part.capitalize() for part in field_name.split("_")) + "Entry"


def read_counts(message: Any) -> Counter[str]:
    """How many times each bytes field of a stand-in message was read (empty for real ones)."""
    return Counter(getattr(message, "reads", {}))
