"""Triggered by csvRowTrigger, the custom binding of docs/registry.md (installed as a plugin)."""

import json
import os
from pathlib import Path

import azure.functions as func


def main(rows: list[str], context: func.Context) -> None:
    out = Path(os.environ["FUNCBIND_TEST_OUT"], f"{context.invocation_id}.json")
    out.write_text(json.dumps(rows), encoding="utf-8")
