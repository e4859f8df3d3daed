"""pytest-benchmark suites comparing funcbind with azure.functions (see README.md here)."""
