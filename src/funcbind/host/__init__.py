"""The local host: ``funcbind run`` serves a function app without the Functions host.

Modules: ``settings`` (host.json, local.settings.json), ``routes`` (route templates),
``keys`` (function keys), ``app`` (loading an app for serving), ``asgi`` (the ASGI
application), ``admin`` (admin endpoints), ``console`` (output) and ``cli`` (the
command line).  Importing this package imports no server: uvicorn is loaded only
when :func:`funcbind.host.cli.serve` runs.
"""
