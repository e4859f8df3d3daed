"""HTTP route templates, compiled once into a regex and constraint checks.

The template language is the subset of ASP.NET Core routing that function apps use:
literal segments (matched case-insensitively), ``{name}`` parameters, constraints
``{id:int}`` (several may be chained: ``{id:int:min(1)}``), optional parameters
``{id?}``, defaults ``{page=1}`` and a final catch-all ``{*rest}``.  A value that
fails its constraint makes the route not match, which the host answers with 404.

Route values reach the function as strings, percent-decoded, as the host sends them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import NamedTuple

from ..datetimes import parse_datetime
from ..errors import DecodeError, FuncbindError

__all__ = [
    "CONSTRAINTS",
    "MethodNotAllowed",
    "Route",
    "RouteError",
    "RouteMatch",
    "Router",
    "compile_route",
]

Check = Callable[[str], bool]

# Segment kinds in order of precedence when two routes match the same path: a literal
# beats a constrained parameter, which beats a plain one, which beats a catch-all.
_LITERAL, _COMPLEX, _CONSTRAINED, _PARAMETER, _CATCH_ALL = range(5)

_PARAMETER_SYNTAX = re.compile(
    r"(?P<star>\*{1,2})?(?P<name>[^:=?*{}/]+)"
    r"(?P<constraints>(?::[^:=?()]+(?:\((?:[^()]|\([^()]*\))*\))?)*)"
    r"(?:(?P<optional>\?)|=(?P<default>[^{}]*))?"
)
_CONSTRAINT_SYNTAX = re.compile(r":(?P<name>[^:=?()]+)(?:\((?P<args>(?:[^()]|\([^()]*\))*)\))?")

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_DECIMAL_MAX = 79228162514264337593543950335  # System.Decimal.MaxValue
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
_FLOAT = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|infinity|nan)", re.IGNORECASE
)
_HEX = "[0-9a-fA-F]"
_GUID = re.compile(
    rf"{_HEX}{{32}}"
    rf"|(?P<open>[{{(]?){_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}(?P<close>[}})]?)"
)
_GUID_BRACKETS = {"": "", "{": "}", "(": ")"}
_DATE = re.compile(r"(\d{4})-(\d\d?)-(\d\d?)|(\d\d?)/(\d\d?)/(\d{4})", re.ASCII)


class RouteError(FuncbindError):
    """A route template cannot be compiled; the message names the template and the part."""


# -- constraints ----------------------------------------------------------------


def _integer_in(low: int, high: int) -> Check:
    def check(value: str) -> bool:
        # The length bound keeps int() away from huge strings; no int64 has 21 digits.
        return len(value) <= 21 and bool(_INTEGER.fullmatch(value)) and low <= int(value) <= high

    return check


def _is_decimal(value: str) -> bool:
    if not _DECIMAL.fullmatch(value):
        return False
    whole = value.lstrip("+-").split(".", 1)[0].lstrip("0")
    return len(whole) < 29 or (len(whole) == 29 and int(whole) <= _DECIMAL_MAX)


def _is_float(value: str) -> bool:
    return bool(_FLOAT.fullmatch(value)) and (
        value.lstrip("+-").lower() in ("infinity", "nan") or not math.isnan(float(value))
    )


def _is_alpha(value: str) -> bool:
    return value.isascii() and value.isalpha()


def _is_bool(value: str) -> bool:
    return value.lower() in ("true", "false")


def _is_guid(value: str) -> bool:
    match = _GUID.fullmatch(value)
    return match is not None and _GUID_BRACKETS.get(match["open"] or "") == (match["close"] or "")


def _is_datetime(value: str) -> bool:
    match = _DATE.fullmatch(value)
    if match is not None:
        year, month, day, us_month, us_day, us_year = match.groups()
        if year is None:
            year, month, day = us_year, us_month, us_day
        try:
            date(int(year), int(month), int(day))
        except ValueError:
            return False
        return True
    try:
        parse_datetime(value)
    except DecodeError:
        return False
    return True


# Constraints without arguments; culture-invariant, as the host checks them.
CONSTRAINTS: Mapping[str, Check] = {
    "int": _integer_in(*_INT32),
    "long": _integer_in(*_INT64),
    "alpha": _is_alpha,
    "bool": _is_bool,
    "guid": _is_guid,
    "datetime": _is_datetime,
    "decimal": _is_decimal,
    "double": _is_float,
    "float": _is_float,
}

_WITH_ARGUMENTS = ("min", "max", "range", "length", "minlength", "maxlength", "regex")


def _argument_constraint(name: str, args: str, where: str) -> Check:
    """A constraint that takes arguments: ``min(1)``, ``length(2,8)``, ``regex(^a+$)``."""
    if name == "regex":
        args = args.replace("{{", "{").replace("}}", "}")  # braces are doubled in templates
        try:
            pattern = re.compile(args, re.IGNORECASE)
        except re.error as exc:
            raise RouteError(f"{where}: regex({args}) is not a valid pattern: {exc}") from None
        return lambda value: pattern.search(value) is not None
    try:
        numbers = [int(part) for part in args.split(",")]
    except ValueError:
        raise RouteError(f"{where}: expected whole numbers in {name}(...), got {args!r}") from None
    expected = {"range": 2, "length": (1, 2)}.get(name, 1)
    if len(numbers) not in (expected if isinstance(expected, tuple) else (expected,)):
        raise RouteError(f"{where}: {name}(...) takes {expected} number(s), got {args!r}")
    if name in ("min", "max", "range"):
        low, high = {
            "min": (numbers[0], _INT64[1]),
            "max": (_INT64[0], numbers[0]),
            "range": (numbers[0], numbers[-1]),
        }[name]
        return _integer_in(low, high)
    shortest, longest = {
        "length": (numbers[0], numbers[-1]),
        "minlength": (numbers[0], math.inf),
        "maxlength": (0, numbers[0]),
    }[name]
    return lambda value: shortest <= len(value) <= longest


def _constraint(name: str, args: str | None, where: str) -> Check:
    if args is None and name in CONSTRAINTS:
        return CONSTRAINTS[name]
    if args is not None and name in _WITH_ARGUMENTS:
        return _argument_constraint(name, args, where)
    known = ", ".join([*CONSTRAINTS, *(f"{n}(...)" for n in _WITH_ARGUMENTS)])
    shown = name if args is None else f"{name}({args})"
    raise RouteError(f"{where}: unknown constraint {shown!r}; known constraints: {known}")


# -- templates ------------------------------------------------------------------


@dataclass(frozen=True)
class _Parameter:
    name: str
    checks: tuple[Check, ...]
    optional: bool
    default: str | None
    catch_all: bool


@dataclass(frozen=True)
class Route:
    """A compiled route: the path regex, the constraint checks and the allowed methods.

    ``methods`` is None when every method is allowed.  ``target`` is whatever the
    caller wants back on a match (the host stores the function there).
    """

    template: str
    pattern: re.Pattern[str]
    methods: frozenset[str] | None
    target: object = field(compare=False)
    precedence: tuple[int, ...] = ()
    literal_path: str | None = None
    # (regex group, parameter name, constraint checks) for each parameter.
    parameters: tuple[tuple[str, str, tuple[Check, ...]], ...] = ()
    defaults: tuple[tuple[str, str], ...] = ()

    def match(self, path: str) -> dict[str, str] | None:
        """The route values if ``path`` matches this route and its constraints, else None."""
        found = self.pattern.fullmatch(path)
        if found is None:
            return None
        values = {}
        for group, name, checks in self.parameters:
            value = found[group]
            if value is None:
                continue
            for check in checks:
                if not check(value):
                    return None
            values[name] = value
        for name, default in self.defaults:
            values.setdefault(name, default)
        return values

    def allows(self, method: str) -> bool:
        return self.methods is None or method in self.methods


def compile_route(
    template: str,
    *,
    prefix: str = "",
    methods: Iterable[str] | None = None,
    target: object = None,
) -> Route:
    """Compile ``prefix/template`` into a :class:`Route`; RouteError names what is wrong."""
    where = f"route {template!r}"
    joined = _join(prefix, template)
    parsed = [_parse_segment(segment, where) for segment in joined.split("/")] if joined else []
    params = [p for parts in parsed for p in parts if isinstance(p, _Parameter)]
    names = [p.name.casefold() for p in params]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RouteError(f"{where}: parameter {duplicates[0]!r} appears more than once")

    regex = ""
    defaults: list[tuple[str, str]] = []
    optional_tail = True  # every segment after the current one may be left out
    for index in range(len(parsed) - 1, -1, -1):
        parts = parsed[index]
        single = parts[0] if len(parts) == 1 and isinstance(parts[0], _Parameter) else None
        for part in parts:
            if not isinstance(part, _Parameter):
                continue
            if part.catch_all and index != len(parsed) - 1:
                raise RouteError(
                    f"{where}: the catch-all {{*{part.name}}} must be the last segment"
                )
            if part.optional and single is None:
                raise RouteError(
                    f"{where}: the optional parameter {{{part.name}?}} must be a whole segment"
                )
            if part.default is not None:
                if not all(check(part.default) for check in part.checks):
                    raise RouteError(
                        f"{where}: the default {part.default!r} of {{{part.name}}} fails "
                        "its own constraint"
                    )
                defaults.append((part.name, part.default))
        omittable = (
            optional_tail
            and single is not None
            and (single.optional or single.default is not None or single.catch_all)
        )
        if single is not None and single.optional and not omittable:
            raise RouteError(
                f"{where}: the optional parameter {{{single.name}?}} must be the last segment "
                "or be followed only by optional segments"
            )
        body = "".join(_segment_regex(part) for part in parts)
        if omittable:
            regex = f"(?:/{body}{regex})?"
        else:
            regex = f"/{body}{regex}"
            optional_tail = False
    literal = None if params else "/" + "/".join("".join(map(str, parts)) for parts in parsed)
    return Route(
        template=template,
        pattern=re.compile(regex + "/?", re.IGNORECASE | re.DOTALL),
        methods=None if not methods else frozenset(m.upper() for m in methods),
        target=target,
        precedence=tuple(_precedence(parts) for parts in parsed),
        literal_path=literal.rstrip("/").casefold() if literal is not None else None,
        parameters=tuple((_group(p.name), p.name, p.checks) for p in params),
        defaults=tuple(defaults),
    )


def _join(prefix: str, template: str) -> str:
    template = template.removeprefix("~")
    return "/".join(part.strip("/") for part in (prefix, template) if part.strip("/"))


def _parse_segment(segment: str, where: str) -> list[str | _Parameter]:
    """Split one segment into literal text and parameters (``{{``/``}}`` escape braces)."""
    if segment == "":
        raise RouteError(f"{where}: empty segment ('//'); remove the extra slash")
    parts: list[str | _Parameter] = []
    literal = ""
    i = 0
    while i < len(segment):
        char = segment[i]
        if segment.startswith(("{{", "}}"), i):
            literal += char
            i += 2
            continue
        if char == "}":
            raise RouteError(f"{where}: unmatched '}}' in segment {segment!r}")
        if char != "{":
            literal += char
            i += 1
            continue
        end = segment.find("}", i)
        # A constraint's arguments may hold '}' (regex quantifiers): take the last '}'
        # that closes a well-formed parameter.
        while end != -1 and _PARAMETER_SYNTAX.fullmatch(segment[i + 1 : end]) is None:
            end = segment.find("}", end + 1)
        if end == -1:
            raise RouteError(f"{where}: '{{' without a matching '}}' in segment {segment!r}")
        if literal:
            parts.append(literal)
            literal = ""
        parts.append(_parse_parameter(segment[i + 1 : end], where))
        i = end + 1
    if literal:
        parts.append(literal)
    params = [p for p in parts if isinstance(p, _Parameter)]
    if len(parts) > 1 and any(p.catch_all for p in params):
        raise RouteError(f"{where}: a catch-all parameter must be a whole segment")
    for before, after in pairwise(parts):
        if isinstance(before, _Parameter) and isinstance(after, _Parameter):
            raise RouteError(
                f"{where}: parameters {{{before.name}}} and {{{after.name}}} need literal "
                "text between them"
            )
    return parts


def _parse_parameter(text: str, where: str) -> _Parameter:
    match = _PARAMETER_SYNTAX.fullmatch(text)
    if match is None:
        raise RouteError(f"{where}: expected a parameter like {{name:constraint?}}, got {{{text}}}")
    name = match["name"]
    if not name.isidentifier() and not re.fullmatch(r"[\w.-]+", name):
        raise RouteError(f"{where}: parameter name {name!r} may hold letters, digits, '_', '-'")
    inner = f"{where}, parameter {{{name}}}"
    checks = tuple(
        _constraint(c["name"], c["args"], inner)
        for c in _CONSTRAINT_SYNTAX.finditer(match["constraints"])
    )
    if match["star"] and match["optional"]:
        raise RouteError(f"{where}: a catch-all parameter is already optional; drop the '?'")
    return _Parameter(
        name=name,
        checks=checks,
        optional=bool(match["optional"]),
        default=match["default"],
        catch_all=bool(match["star"]),
    )


def _group(name: str) -> str:
    """A regex group name for a parameter name (names may hold '-' or '.')."""
    return "p_" + "".join(c if c.isalnum() or c == "_" else f"_{ord(c):x}_" for c in name)


def _segment_regex(part: str | _Parameter) -> str:
    if isinstance(part, str):
        return re.escape(part)
    if part.catch_all:
        return f"(?P<{_group(part.name)}>.+)"
    return f"(?P<{_group(part.name)}>[^/]+)"


def _precedence(parts: Sequence[str | _Parameter]) -> int:
    if len(parts) > 1:
        return _COMPLEX
    part = parts[0]
    if isinstance(part, str):
        return _LITERAL
    if part.catch_all:
        return _CATCH_ALL
    return _CONSTRAINED if part.checks else _PARAMETER


# -- matching -------------------------------------------------------------------


class RouteMatch(NamedTuple):
    """A route whose path and method both match, with its route values.

    A named tuple rather than a frozen dataclass: one is built per request, and a frozen
    dataclass pays ``object.__setattr__`` for each field.
    """

    route: Route
    values: dict[str, str]


@dataclass(frozen=True)
class MethodNotAllowed:
    """The path matches routes, none of which allows the method."""

    allowed: tuple[str, ...]


class Router:
    """Routes in precedence order; a path without parameters is one dict lookup."""

    def __init__(self, routes: Iterable[Route]) -> None:
        ordered = sorted(routes, key=lambda route: route.precedence)
        self.routes: tuple[Route, ...] = tuple(ordered)
        self._literal: dict[str, list[Route]] = {}
        self._templated: list[Route] = []
        for route in ordered:
            if route.literal_path is not None:
                self._literal.setdefault(route.literal_path, []).append(route)
            else:
                self._templated.append(route)

    def match(self, method: str, path: str) -> RouteMatch | MethodNotAllowed | None:
        """The route for ``method`` and the decoded ``path``; MethodNotAllowed; or None."""
        denied: list[Route] = []
        literal = self._literal.get(path.rstrip("/").casefold())
        if literal is not None:
            for route in literal:
                if route.allows(method):
                    return RouteMatch(route, {})
            denied.extend(literal)
        for route in self._templated:
            values = route.match(path)
            if values is None:
                continue
            if route.allows(method):
                return RouteMatch(route, values)
            denied.append(route)
        if not denied:
            return None
        allowed: set[str] = set()
        for route in denied:
            allowed.update(route.methods or ())
        return MethodNotAllowed(tuple(sorted(allowed)))
