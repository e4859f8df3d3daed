"""Function keys: levels, where keys come from, generation once into APP/.funcbind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from funcbind.host.keys import (
    ADMIN,
    ANONYMOUS,
    FUNCTION,
    KeysError,
    KeyStore,
    load_keys,
    normalize_auth_level,
)
from funcbind.host.settings import KeySettings

STORE = KeyStore("master-k", "default-k", {"Hello": "hello-k"})


@pytest.mark.parametrize(
    ("level", "function", "key", "granted"),
    [
        (ANONYMOUS, "any", None, True),
        (FUNCTION, "hello", None, False),
        (FUNCTION, "hello", "", False),
        (FUNCTION, "hello", "nope", False),
        (FUNCTION, "hello", "hello-k", True),
        (FUNCTION, "HELLO", "hello-k", True),
        (FUNCTION, "other", "hello-k", False),
        (FUNCTION, "other", "default-k", True),
        (FUNCTION, "other", "master-k", True),
        (ADMIN, "hello", "default-k", False),
        (ADMIN, "hello", "hello-k", False),
        (ADMIN, "hello", "master-k", True),
        (FUNCTION, "hello", "mäster\udcff", False),
    ],
)
def test_authorize(level: str, function: str, key: str | None, granted: bool) -> None:
    assert STORE.authorize(level, function, key) is granted


def test_key_shown_in_urls() -> None:
    assert STORE.key_for(ANONYMOUS, "hello") is None
    assert STORE.key_for(FUNCTION, "hello") == "hello-k"
    assert STORE.key_for(FUNCTION, "other") == "default-k"
    assert STORE.key_for(ADMIN, "hello") == "master-k"


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        (None, FUNCTION),
        ("ANONYMOUS", ANONYMOUS),
        ("Function", FUNCTION),
        ("admin", ADMIN),
        ("system", ADMIN),
        ("nobody", None),
        (3, None),
    ],
)
def test_normalize_auth_level(raw: object, level: str | None) -> None:
    assert normalize_auth_level(raw) == level


def test_keys_from_settings_write_nothing(tmp_path: Path) -> None:
    store = load_keys(tmp_path, KeySettings(master="m", default="d"))
    assert (store.master, store.default, store.source) == ("m", "d", "local.settings.json")
    assert not (tmp_path / ".funcbind").exists()


def test_generated_once_then_reused(tmp_path: Path) -> None:
    first = load_keys(tmp_path, KeySettings())
    state = tmp_path / ".funcbind"
    assert sorted(p.name for p in state.iterdir()) == [".gitignore", "keys.json"]
    assert len(first.master) >= 40 and first.master != first.default
    second = load_keys(tmp_path, KeySettings())
    assert (second.master, second.default) == (first.master, first.default)


def test_a_configured_key_wins_over_the_generated_one(tmp_path: Path) -> None:
    generated = load_keys(tmp_path, KeySettings())
    mixed = load_keys(tmp_path, KeySettings(master="mine"))
    assert (mixed.master, mixed.default) == ("mine", generated.default)
    assert "local.settings.json and" in mixed.source


def test_a_damaged_keys_file_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    state = tmp_path / ".funcbind"
    state.mkdir()
    (state / "keys.json").write_text("[1, 2")
    with pytest.raises(KeysError, match="delete the file"):
        load_keys(tmp_path, KeySettings())
    (state / "keys.json").write_text(json.dumps(["not", "an", "object"]))
    with pytest.raises(KeysError, match="delete the file"):
        load_keys(tmp_path, KeySettings())


def test_an_unwritable_app_folder_is_an_error_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / ".funcbind").write_text("a file where the folder should be")
    with pytest.raises(KeysError, match=r"Keys\.master"):
        load_keys(tmp_path, KeySettings())
