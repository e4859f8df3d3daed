"""``StringDatums``: a protobuf ``map<string, string>`` seen as ``{name: Datum(text, "string")}``.

The HTTP request Datum of :mod:`funcbind.wire` holds its headers, query and route values
this way: the message's own map, and a Datum made for an entry only when it is read
(once; the same Datum every time).  Iterating, ``items()``, counting with ``len`` on a
changed map, or changing it converts every entry once, and from then on the view is a
plain dict of Datums.  ``strings()`` gives the plain texts without any Datum.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, Mapping, MutableMapping, ValuesView

from .datum import Datum

__all__ = ["StringDatums"]

_new_datum = object.__new__


class StringDatums(MutableMapping[str, Datum]):
    """A ``map<string, string>`` as a mutable mapping of string Datums, converted lazily."""

    __slots__ = ("_datums", "_raw")

    def __init__(self, raw: Mapping[str, str]) -> None:
        self._raw: Mapping[str, str] | None = raw  # None once every entry is in _datums
        self._datums: dict[str, Datum] = {}

    def __getitem__(self, key: str) -> Datum:
        datums = self._datums
        datum = datums.get(key)
        if datum is None:
            raw = self._raw
            if raw is None or type(key) is not str or key not in raw:
                raise KeyError(key)
            datum = datums[key] = _string_datum(raw[key])
        return datum

    def _all(self) -> dict[str, Datum]:
        raw = self._raw
        datums = self._datums
        if raw is not None:
            for name in raw:  # keys and indexing: faster than items() on upb maps
                if name not in datums:
                    datums[name] = _string_datum(raw[name])
            self._raw = None
        return datums

    def strings(self) -> dict[str, str]:
        """The entries as plain texts (no Datum made for those not read)."""
        raw = self._raw
        if raw is not None:
            return dict(raw)
        return {name: datum.value for name, datum in self._datums.items()}

    def __contains__(self, key: object) -> bool:
        raw = self._raw
        if raw is None:
            return key in self._datums
        return type(key) is str and key in raw

    def __len__(self) -> int:
        raw = self._raw
        return len(self._datums) if raw is None else len(raw)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def keys(self) -> KeysView[str]:
        return self._all().keys()

    def items(self) -> ItemsView[str, Datum]:
        return self._all().items()

    def values(self) -> ValuesView[Datum]:
        return self._all().values()

    def __setitem__(self, key: str, value: Datum) -> None:
        self._all()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._all()[key]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StringDatums):
            other = other._all()
        if not isinstance(other, Mapping):
            return NotImplemented
        return self._all() == dict(other.items())

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"StringDatums({self._all()!r})"


def _string_datum(text: str) -> Datum:
    datum: Datum = _new_datum(Datum)
    datum.value = text
    datum.type = "string"
    return datum
