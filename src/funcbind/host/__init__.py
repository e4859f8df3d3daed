"""The local host: ``funcbind run`` serves a function app without the Functions host.

Modules, each importing only those listed after it: ``cli``
(the command line), ``shutdown`` (Ctrl-C, SIGTERM), ``asgi`` (the function routes; it
mounts ``admin``, the admin app), ``app`` (loading an app for serving), ``listeners``
(supervising trigger listeners), ``triggers`` (one module per trigger kind, the table
in ``triggers.kinds``, shared listener machinery in ``triggers.polling``), ``runner``
(one invocation with its storage inputs and outputs), ``console`` (output), ``http``
(request and response helpers), ``model`` (the hosted app and functions, invocation
ids and outcomes), ``keys``, ``storage_bindings``, ``settings``, ``expressions``,
``routes``, ``storage_io``, ``devstorage`` and ``azurite`` (the storage emulator).  Importing this
package imports no server and no Storage SDK: they load when :func:`funcbind.host.cli.serve`
runs and storage is first used.
"""
