import os
from pathlib import Path

import azure.functions as func


def main(events: str, context: func.Context) -> None:
    out = os.environ.get("FUNCBIND_TEST_OUT")
    if out:
        Path(out, f"batch-{context.invocation_id}.json").write_text(events)
