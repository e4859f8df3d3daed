"""An async function: run with asyncio directly, on the host's event loop."""

import asyncio
import logging


async def main(req):
    # Stands in for non-blocking I/O; the loop serves other invocations meanwhile.
    await asyncio.sleep(0)
    user = req.params.get("user", "User")
    logging.info("async hello for %s", user)
    return f"Hello, {user}, from a coroutine!"
