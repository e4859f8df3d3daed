"""Azure Database for MySQL: the ``mysql`` and ``mysqlTrigger`` bindings.

Both decode into :class:`MySqlRowList`, an ``azure.functions.MySqlRowList`` of
``azure.functions.MySqlRow`` that parses the host's JSON on first read; the trigger's
change list (``[{"Operation": 0, "Item": {...}}, ...]``) arrives the same way, one
row per change.  Outputs take a ``MySqlRow``, a ``MySqlRowList``, a dict, or any
iterable of rows and dicts, sent as one JSON array.  The shape is shared with Cosmos
DB and SQL (``_rows.py``).
"""

from __future__ import annotations

from azure.functions import _mysql as stock

from ..registry import Registry
from ._rows import LazyRowList, RowFamily, RowListConverter

__all__ = ["FAMILY", "MySqlRowList", "register"]

BINDING = "mysql"
TRIGGER = "mysqlTrigger"


class MySqlRowList(LazyRowList, stock.MySqlRowList):
    """The rows of a MySQL input or change trigger, parsed on first read.

    An instance of ``azure.functions.MySqlRowList`` whose entries are
    ``azure.functions.MySqlRow`` objects (or None for a JSON ``null``).
    """

    row_class = stock.MySqlRow
    noun = "row"


FAMILY = RowFamily(
    model=MySqlRowList,
    stock_list=stock.MySqlRowList,
    row_class=stock.MySqlRow,
    output_classes=(stock.BaseMySqlRowList, stock.BaseMySqlRow),
)


def register(registry: Registry) -> None:
    converter = RowListConverter(FAMILY)
    registry.register(BINDING, converter=converter)
    # azure.functions' trigger converter inherits the output side too; so does this one.
    registry.register(TRIGGER, converter=converter, trigger=True)
