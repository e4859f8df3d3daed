"""``funcbind event KIND [--set field=value ...]``: print one realistic trigger input.

By default the output is the JSON body of ``POST /admin/functions/{name}`` that runs a
function on that event; ``--wire`` prints the payload and trigger metadata themselves
(each Datum as ``{"type", "value"}``), as for HTTP requests, which the admin endpoint
does not run.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> None:
    """Add the ``event`` command to the ``funcbind`` command line."""
    parser = commands.add_parser(
        "event",
        help="print a realistic trigger input (JSON) for a kind of trigger",
        description="Print one event as the Functions host would send it: by default the "
        "JSON body that runs a function on it through POST /admin/functions/{name}.",
    )
    parser.add_argument("kind", metavar="KIND", help="http, queue, blob or timer")
    parser.add_argument(
        "--set",
        dest="fields",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a field of the event (a JSON value, else text), e.g. --set dequeue_count=3",
    )
    parser.add_argument(
        "--wire", action="store_true", help="print the payload and trigger metadata instead"
    )


def run(args: argparse.Namespace) -> int:
    from ..datetimes import parse_datetime
    from ..errors import FuncbindError
    from . import events

    try:
        entry = events.kind(args.kind)
        known = events.fields_of(entry)
        fields: dict[str, Any] = {}
        for item in args.fields:
            name, sep, text = item.partition("=")
            if not sep or not name:
                raise events.EventError(f"expected --set FIELD=VALUE, got {item!r}")
            if name in known and "datetime" in known[name]:
                try:
                    fields[name] = parse_datetime(text)
                except FuncbindError as exc:
                    raise events.EventError(
                        f"{entry.name} event, field {name}: {exc.message}"
                    ) from None
            else:
                fields[name] = _value(text)
        event = events.build(entry.name, **fields)
    except FuncbindError as exc:
        print(f"funcbind: error: {exc.message}", file=sys.stderr)
        return 2
    except TypeError as exc:  # a value of the wrong type for a builder's field
        print(f"funcbind: error: {args.kind} event: {exc}", file=sys.stderr)
        return 2
    shown = event.wire() if args.wire or not entry.admin else event.admin_body()
    print(json.dumps(shown, indent=2))
    return 0


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
