"""Azure SQL: the ``sql`` binding (and ``sqlTrigger`` where azure.functions serves it).

Input rows decode into :class:`SqlRowList`, an ``azure.functions.SqlRowList`` of
``azure.functions.SqlRow`` that parses the host's JSON on first read; outputs take a
``SqlRow``, a ``SqlRowList``, a dict, or any iterable of rows and dicts, sent as one
JSON array.  The shape is shared with Cosmos DB and MySQL (``_rows.py``).

azure-functions 1.26 and 2.x register ``sql`` only: a ``sqlTrigger`` function there
gets the worker's generic binding (its change list as ``str``).  ``register`` adds
``sqlTrigger`` only when the installed azure.functions registry knows the name.
"""

from __future__ import annotations

from azure.functions import _sql as stock

from ..registry import Registry
from ._rows import LazyRowList, RowFamily, RowListConverter, stock_registry_knows

__all__ = ["FAMILY", "SqlRowList", "register"]

BINDING = "sql"
TRIGGER = "sqlTrigger"


class SqlRowList(LazyRowList, stock.SqlRowList):
    """The rows of a SQL input (or change trigger), parsed on first read.

    An instance of ``azure.functions.SqlRowList`` whose entries are
    ``azure.functions.SqlRow`` objects (or None for a JSON ``null``).
    """

    row_class = stock.SqlRow
    noun = "row"


FAMILY = RowFamily(
    model=SqlRowList,
    stock_list=stock.SqlRowList,
    row_class=stock.SqlRow,
    output_classes=(stock.BaseSqlRowList, stock.BaseSqlRow),
)


def register(registry: Registry) -> None:
    converter = RowListConverter(FAMILY)
    registry.register(BINDING, converter=converter)
    if stock_registry_knows(TRIGGER):
        registry.register(TRIGGER, converter=converter, trigger=True)
