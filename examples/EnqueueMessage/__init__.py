"""Queue output through ``Out``: the ``body`` query value goes to the 'outqueue' queue."""

import azure.functions as func


def main(req: func.HttpRequest, msg: func.Out[func.QueueMessage]) -> str:
    message = req.params.get("body")
    msg.set(message)
    return message or ""
