"""``funcbind`` and ``python -m funcbind``: the command line (see :mod:`funcbind.host.cli`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``funcbind`` command with ``argv`` (default: the process arguments)."""
    from .host.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
