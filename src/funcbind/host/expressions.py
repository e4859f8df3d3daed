"""Binding expressions: ``{name}`` in blob paths and queue names, ``%Setting%`` from settings.

A binding's ``path`` (or ``queueName``) is compiled once, at load, into a
:class:`PathTemplate`; an invocation renders it against its :class:`BindingData`: route
and query values for HTTP, trigger metadata (``{queueTrigger}``, ``{Id}``, the names a
blob trigger's path pattern captured), the properties of a JSON payload with dot paths
(``{order.id}``), and the system values ``{rand-guid}`` and ``{DateTime}`` (with an
optional .NET format: ``{DateTime:yyyy}``, ``{rand-guid:N}``).  ``%Setting%`` is
replaced by the app setting's value at load.

A value that would leave its path segment -- one holding ``/``, ``\\``, two dots or a
control character -- is refused with :class:`UnsafeValueError`.  A blob trigger's own
captures may hold ``/`` (they name the blob's folders), but never an empty, ``.`` or
``..`` segment.  :class:`BlobPathPattern` is the trigger side: a path pattern matched
against blob names.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..errors import FuncbindError, describe

__all__ = [
    "BindingData",
    "BindingExpressionError",
    "BlobPathPattern",
    "PathTemplate",
    "TemplateError",
    "UnsafeValueError",
    "format_datetime",
    "substitute_app_settings",
]

_UTC = timezone.utc
_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*")
_SETTING = re.compile(r"%([A-Za-z0-9_.:-]+)%")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DEFAULT_DATETIME_FORMAT = "yyyy-MM-ddTHH-mm-ssZ"  # {DateTime}: 2018-02-16T17-59-55Z
_GUID_FORMATS: dict[str, Callable[[uuid.UUID], str]] = {
    "D": str,
    "N": lambda g: g.hex,
    "B": lambda g: "{" + str(g) + "}",
    "P": lambda g: "(" + str(g) + ")",
}


class TemplateError(FuncbindError):
    """A path or setting reference cannot be compiled (a load error of its function)."""


class BindingExpressionError(FuncbindError):
    """An expression has no value in this invocation, or one that cannot be used."""


class UnsafeValueError(BindingExpressionError):
    """A value would leave its path segment (``..``, ``/``, ``\\``, control characters)."""


def substitute_app_settings(text: str, settings: Mapping[str, str], where: str) -> str:
    """Replace every ``%Name%`` in ``text`` by the app setting ``Name``.

    Raises :class:`TemplateError` naming the setting when it is not set.
    """
    if "%" not in text:
        return text

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        found = settings.get(name)
        if found is None:
            raise TemplateError(
                f"{where}: {text!r} refers to app setting %{name}%, which is not set; add "
                f"{name!r} to local.settings.json Values (or the environment)"
            )
        return found

    return _SETTING.sub(value, text)


# -- values ---------------------------------------------------------------------------


class BindingData:
    """The named values one invocation offers to binding expressions.

    ``values`` maps names (compared case-insensitively) to plain values or Datum-like
    objects (json Datums are parsed on first use).  ``payload`` returns the trigger's
    JSON payload (or None), parsed at most once, whose properties are names too: after
    the values, or before them with ``payload_first`` (a queue message's properties win
    over its metadata, as in the host).  ``trusted`` names the values that may hold
    ``/`` (blob trigger captures).
    """

    __slots__ = (
        "_now",
        "_payload",
        "_payload_first",
        "_payload_loader",
        "_values",
        "function_name",
        "trusted",
    )

    def __init__(
        self,
        values: Mapping[str, Any] | None = None,
        *,
        payload: Callable[[], Any] | None = None,
        payload_first: bool = False,
        trusted: Iterable[str] = (),
        function_name: str = "",
    ) -> None:
        self._values = {name.casefold(): value for name, value in (values or {}).items()}
        self._payload_first = payload_first
        self._payload_loader = payload
        self._payload: Any = _UNSET
        self._now: datetime | None = None
        self.trusted = frozenset(name.casefold() for name in trusted)
        self.function_name = function_name

    @property
    def now(self) -> datetime:
        """The invocation's UTC time: the same for every ``{DateTime}`` of one invocation."""
        if self._now is None:
            self._now = datetime.now(_UTC)
        return self._now

    def has(self, name: str) -> bool:
        return name.casefold() in self._values or _member(self.payload(), name) is not _UNSET

    def payload(self) -> Any:
        if self._payload is _UNSET:
            loader = self._payload_loader
            self._payload = None
            if loader is not None:
                try:
                    self._payload = loader()
                except ValueError:  # not JSON: the payload offers no names
                    self._payload = None
        return self._payload

    def lookup(self, path: tuple[str, ...]) -> Any:
        """The value at ``name.prop.prop``; BindingExpressionError when there is none."""
        head = path[0].casefold()
        value = _member(self.payload(), path[0]) if self._payload_first else _UNSET
        if value is _UNSET and head in self._values:
            value = _plain(self._values[head])
        if value is _UNSET and not self._payload_first:
            value = _member(self.payload(), path[0])
        if value is _UNSET:
            raise BindingExpressionError(f"no value for {{{'.'.join(path)}}}")
        for index, member in enumerate(path[1:], 1):
            value = _member(value, member)
            if value is _UNSET:
                raise BindingExpressionError(
                    f"no value for {{{'.'.join(path)}}}: {'.'.join(path[:index])} has no "
                    f"property {member!r}"
                )
        return value


_UNSET: Any = object()


def _plain(value: Any) -> Any:
    """A Datum's value (json Datums parsed); other values as they are."""
    kind = getattr(value, "type", _UNSET)
    if kind is _UNSET or not hasattr(value, "value"):
        return value
    raw = value.value
    if kind == "json" and isinstance(raw, str | bytes):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    if kind == "bytes" and isinstance(raw, bytes | bytearray):
        return bytes(raw).decode("utf-8", "replace")
    return raw


def _member(value: Any, name: str) -> Any:
    """A JSON object's member, matched case-insensitively as the host does."""
    if not isinstance(value, Mapping):
        return _UNSET
    if name in value:
        return value[name]
    folded = name.casefold()
    for key, member in value.items():
        if isinstance(key, str) and key.casefold() == folded:
            return member
    return _UNSET


def _as_text(value: Any, expression: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"  # as .NET prints a JSON boolean
    if isinstance(value, int | float):
        return json.dumps(value)
    raise BindingExpressionError(
        f"{{{expression}}} must be text or a number to go into a path, got {describe(value)}"
    )


def check_safe(value: str, expression: str, *, slashes: bool = False) -> str:
    """``value`` if it stays inside its path segment; UnsafeValueError otherwise.

    With ``slashes`` (a blob trigger capture) ``/`` may separate segments, but no
    segment may be empty, ``.`` or ``..``.
    """
    problem = None
    if _CONTROL.search(value):
        problem = "a control character"
    elif "\\" in value:
        problem = "a backslash"
    elif slashes:
        if any(part in ("", ".", "..") for part in value.split("/")):
            problem = "an empty, '.' or '..' path segment"
    elif "/" in value:
        problem = "a '/'"
    elif ".." in value or value == ".":
        problem = "'..'" if ".." in value else "'.' as a whole segment"
    if problem is not None:
        raise UnsafeValueError(
            f"the value of {{{expression}}} holds {problem}, which could leave its path "
            f"segment: {value[:80]!r}"
        )
    return value


# -- templates ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Expression:
    text: str  # as written between the braces, for messages
    path: tuple[str, ...]
    format: str | None


class PathTemplate:
    """A path or name with ``{expressions}``, parsed once; :meth:`render` per invocation."""

    __slots__ = ("names", "parts", "text")

    def __init__(self, text: str, where: str) -> None:
        self.text = text
        self.parts: tuple[str | _Expression, ...] = tuple(_parse(text, where))
        self.names = frozenset(
            part.path[0].casefold() for part in self.parts if isinstance(part, _Expression)
        )

    def __repr__(self) -> str:
        return f"PathTemplate({self.text!r})"

    @property
    def is_static(self) -> bool:
        return not self.names

    def render(
        self, data: BindingData | None, escape: Callable[[str, str], str] | None = None
    ) -> str:
        """The text with every expression replaced by its (checked) value, passed through
        ``escape(value, expression)`` when given (a table filter formats values for OData)."""
        if not self.names:
            return self.text
        pieces = []
        for part in self.parts:
            if isinstance(part, str):
                pieces.append(part)
            else:
                value = _render(part, data or BindingData())
                pieces.append(value if escape is None else escape(value, part.text))
        return "".join(pieces)


def _parse(text: str, where: str) -> Iterable[str | _Expression]:
    position = 0
    while True:
        start = text.find("{", position)
        if start < 0:
            if position < len(text):
                yield text[position:]
            return
        if start > position:
            yield text[position:start]
        end = text.find("}", start + 1)
        inner = text[start + 1 : end] if end >= 0 else ""
        if end < 0 or "{" in inner:
            raise TemplateError(
                f"{where}: expected a closing '}}' for the '{{' at character {start + 1} of "
                f"{text!r}"
            )
        yield _expression(inner, text, where)
        position = end + 1


def _expression(inner: str, text: str, where: str) -> _Expression:
    body, colon, form = inner.partition(":")
    path = tuple(body.split("."))
    if not all(_NAME.fullmatch(part) for part in path):
        raise TemplateError(
            f"{where}: expected a name such as {{name}}, {{order.id}} or {{DateTime:yyyy}} "
            f"between braces, got {{{inner}}} in {text!r}"
        )
    return _Expression(inner, path, form if colon else None)


def _render(expression: _Expression, data: BindingData) -> str:
    path = expression.path
    head = path[0].casefold()
    if len(path) == 1 and head == "rand-guid":
        return _guid(expression)
    if len(path) == 1 and head == "datetime" and not data.has("DateTime"):
        return format_datetime(data.now, expression.format or _DEFAULT_DATETIME_FORMAT)
    if head == "sys" and len(path) == 2:
        return _system(expression, data)
    value = data.lookup(path)
    if expression.format is not None and isinstance(value, str):
        value = _formatted(value, expression.format)
    text = _as_text(value, expression.text)
    return check_safe(text, expression.text, slashes=head in data.trusted)


def _guid(expression: _Expression) -> str:
    form = (expression.format or "D").upper()
    make = _GUID_FORMATS.get(form)
    if make is None:
        raise BindingExpressionError(
            f"{{{expression.text}}}: expected a GUID format D, N, B or P, got {form!r}"
        )
    return make(uuid.uuid4())


def _system(expression: _Expression, data: BindingData) -> str:
    member = expression.path[1].casefold()
    if member == "utcnow":
        return format_datetime(data.now, expression.format or _DEFAULT_DATETIME_FORMAT)
    if member == "randguid":
        return _guid(expression)
    if member == "methodname":
        return check_safe(data.function_name, expression.text)
    raise BindingExpressionError(
        f"{{{expression.text}}}: expected sys.UtcNow, sys.RandGuid or sys.MethodName"
    )


def _formatted(value: str, form: str) -> str:
    """A datetime value given a format: formatted; any other text: as it is."""
    from ..datetimes import parse_datetime
    from ..errors import DecodeError

    try:
        moment = parse_datetime(value.strip('"'))
    except DecodeError:
        return value
    return format_datetime(moment, form)


# .NET custom date and time format specifiers, longest first so "yyyy" wins over "yy".
_DATE_TOKENS = re.compile(
    r"yyyy|yy|MM|M|dd|d|HH|H|hh|h|mm|m|ss|s|f{1,7}|tt|'[^']*'|\"[^\"]*\"|\\.|."
)


def format_datetime(moment: datetime, form: str) -> str:
    """``moment`` formatted with a .NET custom format string (the common specifiers).

    Single-letter standard formats are not supported: ``{DateTime:G}`` gives ``G``.
    """
    out = []
    for token in _DATE_TOKENS.findall(form):
        out.append(_date_token(moment, token))
    return "".join(out)


def _date_token(moment: datetime, token: str) -> str:
    simple = {
        "yyyy": f"{moment.year:04d}",
        "yy": f"{moment.year % 100:02d}",
        "MM": f"{moment.month:02d}",
        "M": str(moment.month),
        "dd": f"{moment.day:02d}",
        "d": str(moment.day),
        "HH": f"{moment.hour:02d}",
        "H": str(moment.hour),
        "hh": f"{(moment.hour % 12) or 12:02d}",
        "h": str((moment.hour % 12) or 12),
        "mm": f"{moment.minute:02d}",
        "m": str(moment.minute),
        "ss": f"{moment.second:02d}",
        "s": str(moment.second),
        "tt": "AM" if moment.hour < 12 else "PM",
    }
    if token in simple:
        return simple[token]
    if token.startswith("f"):
        return f"{moment.microsecond:06d}0"[: len(token)]
    if token[0] in "'\"" and len(token) >= 2:
        return token[1:-1]
    if token.startswith("\\") and len(token) == 2:
        return token[1]
    return token


# -- blob trigger path patterns ------------------------------------------------------


class BlobPathPattern:
    """A blob trigger's ``container/pattern``: which blob names it matches, with captures.

    As in the host, a capture may span ``/``; every capture but the last is as short
    as possible, so ``{name}.{ext}`` splits ``a.b.txt`` into ``a`` and ``b.txt`` and
    ``{name}.csv`` gives ``a.b`` for ``a.b.csv``.
    """

    __slots__ = ("container", "names", "pattern", "prefix", "regex", "text")

    def __init__(self, text: str, where: str) -> None:
        self.text = text
        container, slash, pattern = text.strip("/").partition("/")
        if not container or "{" in container or "%" in container:
            raise TemplateError(
                f"{where}: expected a path 'container/pattern' with a fixed container name, "
                f"got {text!r}"
            )
        self.container = container
        self.pattern = pattern if slash else "{name}"
        pieces = []
        names: list[str] = []
        parts = list(_parse(self.pattern, where))
        for index, part in enumerate(parts):
            if isinstance(part, str):
                pieces.append(re.escape(part))
                continue
            if len(part.path) != 1 or part.format is not None:
                raise TemplateError(
                    f"{where}: a blob trigger path captures plain names such as {{name}}, got "
                    f"{{{part.text}}} in {text!r}"
                )
            name = part.path[0]
            if name.casefold() in (n.casefold() for n in names):
                raise TemplateError(f"{where}: {{{name}}} appears twice in {text!r}")
            names.append(name)
            last = all(isinstance(rest, str) for rest in parts[index + 1 :])
            pieces.append(f"(?P<g{len(names) - 1}>.+)" if last else f"(?P<g{len(names) - 1}>.+?)")
        self.names = tuple(names)
        self.regex = re.compile("".join(pieces), re.DOTALL)
        first = parts[0] if parts else ""
        self.prefix = first if isinstance(first, str) else ""

    def __repr__(self) -> str:
        return f"BlobPathPattern({self.text!r})"

    def match(self, blob_name: str) -> dict[str, str] | None:
        """The captured values for a blob name, or None when the pattern does not match."""
        found = self.regex.fullmatch(blob_name)
        if found is None:
            return None
        return {name: found.group(f"g{index}") for index, name in enumerate(self.names)}
