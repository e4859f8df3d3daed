"""Trigger kinds the host listens for: one module per kind, the table in :mod:`.kinds`,
the listener machinery they share in :mod:`.polling`."""
