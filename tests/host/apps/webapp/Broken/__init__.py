"""Fails to import on purpose: the host must report it and serve the other functions."""

import funcbind_test_module_that_does_not_exist  # noqa: F401


def main(req: object) -> str:
    return "never reached"
