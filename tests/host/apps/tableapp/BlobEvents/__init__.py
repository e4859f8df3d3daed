import os
from pathlib import Path

import azure.functions as func


def main(blob: func.InputStream, context: func.Context) -> None:
    out = os.environ.get("FUNCBIND_TEST_OUT")
    if out:
        Path(out, f"blob-{context.invocation_id}.txt").write_text(
            f"{blob.name}={blob.read().decode()}"
        )
