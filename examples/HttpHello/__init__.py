"""HTTP hello: greets the ``user`` (or ``name``) given in the query string."""

import azure.functions


def main(req: azure.functions.HttpRequest) -> str:
    user = req.params.get("user") or req.params.get("name") or "User"
    return f"Hello, {user}!"
