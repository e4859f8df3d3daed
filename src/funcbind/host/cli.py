"""The command line: ``funcbind run APP_DIR`` serves an app, ``funcbind check APP_DIR``
loads and validates one.

uvicorn is imported inside :func:`serve` (and :mod:`.shutdown`, which it calls), never
at module level: ``import funcbind`` never pays for a server.  What Ctrl-C and SIGTERM
do while serving is :mod:`.shutdown`'s.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FuncbindError
from .app import load_hosted_app
from .console import FUNCBIND_FORMAT, HOST_FORMAT, LOG_FORMATS, Console, ConsoleLogHandler
from .model import HostedApp

if TYPE_CHECKING:
    import uvicorn


__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "build_parser", "main", "serve"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7071
EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
# A stop forced by a second signal exits with 128 + its number, as a shell reports a
# process that signal ended: 130 for Ctrl-C, 143 for SIGTERM.
EXIT_SIGNALLED = 128

# host.json logging.logLevel names and the Python levels they mean.
_LOG_LEVELS = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "information": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "none": logging.CRITICAL + 1,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="funcbind",
        description="Run an Azure Functions Python app locally, without the Functions host.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="serve a function app over HTTP",
        description="Serve a function app: HTTP triggers at their routes, other functions "
        "through POST /admin/functions/{name}. Ctrl-C stops it after in-flight calls finish; "
        "a second Ctrl-C stops it at once, abandoning them.",
    )
    run.add_argument("app_dir", metavar="APP_DIR", type=Path, help="the function app folder")
    run.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only)",
    )
    run.add_argument(
        "--port",
        type=_port,
        default=None,
        help=f"port to listen on (default: Host.LocalHttpPort from local.settings.json, "
        f"else {DEFAULT_PORT}; 0 picks a free port)",
    )
    run.add_argument(
        "--no-auth",
        dest="auth",
        action="store_false",
        help="do not check function keys (authLevel is ignored)",
    )
    run.add_argument(
        "--verbose", action="store_true", help="print every request, invocation and timing"
    )
    run.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default=HOST_FORMAT,
        help="'host': Core Tools' lines (Executing 'Functions.x' ..., the function's log "
        "messages as written; the default); 'funcbind': every line names the function and "
        "the invocation id",
    )
    run.add_argument(
        "--no-azurite",
        dest="azurite",
        action="store_false",
        help="never start Azurite: with UseDevelopmentStorage=true, expect it to be running",
    )
    run.add_argument(
        "--reload",
        action="store_true",
        help="serve each saved edit of the app's .py files and function.json at once, in "
        "this process (a version that fails to load is reported; the last good one serves)",
    )
    run.add_argument(
        "--max-body-size",
        type=_size,
        default=None,
        metavar="BYTES",
        help="largest request body accepted (default: app setting "
        "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, else 100 MiB)",
    )
    run.add_argument(
        "--workers",
        type=_workers,
        default=None,
        metavar="N",
        help="processes serving the app behind one port (default: app setting "
        "FUNCTIONS_WORKER_PROCESS_COUNT, else 1)",
    )
    # A process of a --workers parent: listen on --host/--port beside its siblings and
    # say so on this file descriptor.
    run.add_argument("--child-of", type=int, default=None, help=argparse.SUPPRESS)

    check = commands.add_parser(
        "check",
        help="load and validate a function app without serving it",
        description="Load every function, compile its bindings and routes, print the function "
        "table and exit with status 1 if any function fails to load.",
    )
    check.add_argument("app_dir", metavar="APP_DIR", type=Path, help="the function app folder")

    from ..testing.event_command import add_parser as add_event_parser

    add_event_parser(commands)
    return parser


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0-65535, got {text!r}")
    return int(text)


def _workers(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a number of processes, got {text!r}")
    return int(text)


def _size(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a size in bytes, got {text!r}")
    return int(text)


def _version() -> str:
    from .. import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if args.command == "event":
        from ..testing.event_command import run as event

        return event(args)
    console = Console(
        verbose=getattr(args, "verbose", False),
        log_format=getattr(args, "log_format", FUNCBIND_FORMAT),
        background=True,
    )
    handler = _install_log_handler(console)
    try:
        if args.command == "check":
            return check(args.app_dir, console)
        return run(args, console)
    finally:
        logging.getLogger().removeHandler(handler)
        console.drain()


def _install_log_handler(console: Console) -> logging.Handler:
    """Print log records, user code's included, from the moment user code is imported."""
    handler = ConsoleLogHandler(console)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # The Storage SDKs log every request at INFO: the host's own storage traffic would
    # drown the app's lines.  Code that wants them sets the level back.
    logging.getLogger("azure").setLevel(logging.WARNING)
    return handler


def _load(app_dir: Path, console: Console, **options: object) -> HostedApp | None:
    try:
        return load_hosted_app(app_dir, **options)  # type: ignore[arg-type]
    except FuncbindError as exc:
        console.write(f"funcbind: error: {exc.message}", "error")
        return None


def check(app_dir: Path, console: Console) -> int:
    """Load and validate; print the table; 1 if any function failed to load."""
    app = _load(app_dir, console, auth=False)
    if app is None:
        return EXIT_ERRORS
    port = app.local_settings.local_http_port or DEFAULT_PORT
    console.function_table(app, f"http://localhost:{port}")
    if app.errors:
        console.write(f"{len(app.errors)} function(s) failed to load.", "error")
        return EXIT_ERRORS
    console.write(f"{len(app.functions)} function(s) loaded.", "good")
    return EXIT_OK


def run(args: argparse.Namespace, console: Console) -> int:
    if args.child_of is not None:
        return _run_child(args, console)
    app = _load(args.app_dir, console, auth=args.auth, max_body_size=args.max_body_size)
    if app is None:
        return EXIT_ERRORS
    _apply_log_level(app)
    from .workers import process_count

    try:
        processes = process_count(args.workers, os.environ)
    except FuncbindError as exc:
        console.write(f"funcbind: error: {exc.message}", "error")
        return EXIT_ERRORS
    port = args.port
    if port is None:
        port = app.local_settings.local_http_port or DEFAULT_PORT
    try:
        # Several processes: this one only holds the port; each child listens on it.
        sock = bind(args.host, port, share=processes > 1, listen=processes == 1)
    except OSError as exc:
        console.write(
            f"funcbind: error: cannot listen on {args.host}:{port}: {exc.strerror or exc}"
            + ("; pass another --port" if port else ""),
            "error",
        )
        return EXIT_ERRORS
    host, bound_port = sock.getsockname()[:2]
    base_url = _base_url(host, bound_port)
    _announce(app, args.auth, base_url, console)
    from .devstorage import ensure_development_storage

    azurite = None
    status = EXIT_OK
    previous = _terminate_like_ctrl_c()
    try:
        azurite = ensure_development_storage(app, console, allow_start=args.azurite)
        listening = f"listening on {base_url} (Ctrl-C to stop)"
        if processes > 1:
            from .workers import run_children

            child_args = [*_child_args(args), "--host", host, "--port", str(bound_port)]
            status = run_children(processes, child_args, console, listening)
        else:
            console.line(listening, "good")
            reload = _reload_options(args) if args.reload else None
            status = serve(app, sock, console, auth=args.auth, reload=reload)
    except KeyboardInterrupt:
        pass  # Ctrl-C or SIGTERM before the server took over the signals: stop as cleanly
    finally:
        sock.close()
        if azurite is not None:
            azurite.stop()  # only the Azurite this host started
            console.line("development storage: Azurite stopped", "dim")
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if status != EXIT_OK:
        console.line("stopped without waiting for the invocations in flight", "warning")
        from .shutdown import leave_function_threads

        console.drain()  # the process may end in there, without returning
        leave_function_threads(status)
        return status
    console.line("stopped", "good")
    return EXIT_OK


def _base_url(host: str, port: int) -> str:
    """The address printed for people: a wildcard host shown as localhost."""
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    return f"http://{shown}:{port}" if ":" not in shown else f"http://[{shown}]:{port}"


def _announce(app: HostedApp, auth: bool, base_url: str, console: Console) -> None:
    console.function_table(app, base_url)
    for name in app.kept_environment:
        console.line(
            f"local.settings.json: {name} is already set in the environment; keeping that value",
            "dim",
        )
    if app.keys is not None and app.keys.source != "local.settings.json":
        console.line(f"keys: {app.keys.source} (git-ignored)", "dim")
    if not auth:
        console.line("auth is off (--no-auth): function keys are not checked", "warning")


def _child_args(args: argparse.Namespace) -> list[str]:
    """The options of this command that the processes of --workers serve with."""
    forwarded = [str(args.app_dir), "--no-azurite"]  # the parent started it, if anyone
    if not args.auth:
        forwarded.append("--no-auth")
    if args.verbose:
        forwarded.append("--verbose")
    if args.max_body_size is not None:
        forwarded += ["--max-body-size", str(args.max_body_size)]
    forwarded += ["--log-format", args.log_format]
    if args.reload:
        forwarded.append("--reload")  # each process reloads its own copy of the app
    return forwarded


def _run_child(args: argparse.Namespace, console: Console) -> int:
    """One process of a --workers parent: listen beside its siblings (the kernel spreads
    connections over them), tell the parent, load the app and serve until stopped."""
    from .workers import ready, watch_parent

    try:
        sock = bind(args.host, args.port, share=True)
    except OSError as exc:
        console.write(f"funcbind: error: cannot listen on {args.host}:{args.port}: {exc}", "error")
        return EXIT_ERRORS
    ready(args.child_of)  # connections wait in this socket's backlog until it serves
    parent = os.environ.get("FUNCBIND_PARENT_PID", "")
    if parent.isdigit():
        watch_parent(int(parent))
    app = _load(args.app_dir, console, auth=args.auth, max_body_size=args.max_body_size)
    if app is None:
        sock.close()
        return EXIT_ERRORS
    _apply_log_level(app)
    previous = _terminate_like_ctrl_c()
    status = EXIT_OK
    try:
        console.line(f"process {os.getpid()} serving", "dim")
        status = serve(app, sock, console, auth=args.auth)
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if status != EXIT_OK:
        from .shutdown import leave_function_threads

        leave_function_threads(status)
    return status


def _terminate_like_ctrl_c() -> Any:
    """Make SIGTERM raise KeyboardInterrupt, as Ctrl-C does; return the previous handler.

    uvicorn handles SIGTERM while it serves, then raises it again with the handler it
    found -- by default one that ends the process on the spot, skipping the clean-up
    after serving (stopping the Azurite this host started).
    """

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        return None


def _apply_log_level(app: HostedApp) -> None:
    logging_section = app.host_settings.raw.get("logging")
    levels = logging_section.get("logLevel") if isinstance(logging_section, dict) else None
    if not isinstance(levels, dict):
        return
    for key in ("Function", "default"):
        name = levels.get(key)
        if isinstance(name, str) and name.casefold() in _LOG_LEVELS:
            logging.getLogger().setLevel(_LOG_LEVELS[name.casefold()])
            return


def bind(host: str, port: int, *, share: bool = False, listen: bool = True) -> socket.socket:
    """A listening socket on host:port (port 0: a free one), ready for uvicorn.

    ``share``: with SO_REUSEPORT, so that the processes of --workers listen on one port;
    the kernel spreads new connections over them.  ``listen=False`` only holds the port
    (the parent of --workers: a listening socket of its own would take connections).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Naming the protocol matters: asyncio sets TCP_NODELAY only on sockets whose proto is
    # IPPROTO_TCP, and without it a keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if share:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(2048)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


def _reload_options(args: argparse.Namespace) -> Callable[[], HostedApp]:
    def load() -> HostedApp:
        return load_hosted_app(args.app_dir, auth=args.auth, max_body_size=args.max_body_size)

    return load


def serve(
    app: HostedApp,
    sock: socket.socket,
    console: Console,
    *,
    auth: bool = True,
    reload: Callable[[], HostedApp] | None = None,
) -> int:
    """Serve until SIGINT/SIGTERM; in-flight requests and invocations finish first.

    A second signal abandons them (see :class:`HostShutdown`).  Returns the exit status:
    0, or 128 + the number of the signal that forced the stop.
    """
    from .asgi import HostApplication
    from .shutdown import HostShutdown, host_server, not_cancelled

    application = HostApplication(app, console=console, auth=auth)
    if reload is not None:
        from .reload import Reloader

        application.reloader = Reloader(app, console, reload, application.replace_app)
    shutdown = HostShutdown(application, console)
    server = host_server(uvicorn_config(application, console.verbose), shutdown)
    # Everything loaded so far (the app, azure.functions, the server) lives until exit:
    # keep it out of the collector's generations so collections stay cheap per request.
    gc.collect()
    gc.freeze()
    # uvicorn reports a request or lifespan task that ends cancelled as a failure of the
    # app, with a traceback; here only a forced stop cancels them.
    server_log = logging.getLogger("uvicorn.error")
    server_log.addFilter(not_cancelled)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C (or SIGTERM) it handled, once it has shut down
    finally:
        server_log.removeFilter(not_cancelled)
        sock.close()
    if shutdown.forced_by is None:
        return EXIT_OK
    return EXIT_SIGNALLED + shutdown.forced_by


def uvicorn_config(application: Any, verbose: bool = False) -> uvicorn.Config:
    """The uvicorn settings the host serves with (the benchmark uses the same)."""
    import uvicorn

    from .protocol import MAX_CONNECTIONS, MAX_HEAD_BYTES, host_protocol

    return uvicorn.Config(
        application,
        # The host's own protocol class (httptools', else h11's): it adds the connection
        # limits (431, 408, stalled bodies) that uvicorn's parsers lack.
        http=host_protocol(),
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        limit_concurrency=MAX_CONNECTIONS,
        # asyncio's loop, even where uvloop is installed: the one-line-a-second report of
        # running out of file descriptors hooks asyncio's accept loop.
        loop="asyncio",
        lifespan="on",
        log_config=None,
        log_level="info" if verbose else "warning",
        access_log=False,
        timeout_graceful_shutdown=None,
    )
