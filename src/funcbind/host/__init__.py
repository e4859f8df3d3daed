"""The local host: ``funcbind run`` serves a function app without the Functions host.

Modules: ``settings`` (host.json, local.settings.json), ``routes`` (route templates),
``keys`` (function keys), ``app`` (loading an app for serving), ``asgi`` (the ASGI
application), ``admin`` (admin endpoints), ``runner`` (one invocation with its storage
inputs and outputs), ``expressions`` (binding expressions), ``storage_bindings`` and
``storage_io`` (blob and queue bindings), ``listeners`` with ``queue_trigger``,
``blob_trigger`` and ``timer_trigger``, ``devstorage`` and ``azurite`` (the storage
emulator), ``console`` (output) and ``cli`` (the command line).  Importing this
package imports no server and no Storage SDK: they load when :func:`funcbind.host.cli.serve`
runs and storage is first used.
"""
