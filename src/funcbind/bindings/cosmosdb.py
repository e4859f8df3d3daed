"""Azure Cosmos DB: the ``cosmosDBTrigger`` and ``cosmosDB`` bindings.

Both decode into :class:`DocumentList`, an ``azure.functions.DocumentList`` of
``azure.functions.Document`` that parses the host's JSON on first read (a single
document arrives as a list of one, ``null`` as a None entry, as in azure.functions).
Outputs take a ``Document``, a ``DocumentList``, a dict, or any iterable of documents
and dicts, sent as one JSON array.  The shape is shared with the SQL and MySQL
families (``_rows.py``).
"""

from __future__ import annotations

from azure.functions import _abc as azure_abc
from azure.functions import _cosmosdb as stock

from ..registry import Registry
from ._rows import LazyRowList, RowFamily, RowListConverter

__all__ = ["FAMILY", "DocumentList", "register"]

TRIGGER = "cosmosDBTrigger"
BINDING = "cosmosDB"


class DocumentList(LazyRowList, stock.DocumentList):
    """The documents of a Cosmos DB input or trigger, parsed on first read.

    An instance of ``azure.functions.DocumentList`` whose entries are
    ``azure.functions.Document`` objects (or None for a JSON ``null``).
    """

    row_class = stock.Document
    noun = "document"


FAMILY = RowFamily(
    model=DocumentList,
    stock_list=stock.DocumentList,
    row_class=stock.Document,
    output_classes=(
        stock.DocumentList,
        stock.Document,
        azure_abc.DocumentList,
        azure_abc.Document,
    ),
)


def register(registry: Registry) -> None:
    converter = RowListConverter(FAMILY)
    registry.register(BINDING, converter=converter)
    # azure.functions' trigger converter inherits the output side too; so does this one.
    registry.register(TRIGGER, converter=converter, trigger=True)
