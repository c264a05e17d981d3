"""Tests for the always_current and never_current debugging checks."""

from __future__ import annotations

import pytest

from softwareupdate_core.exceptions import ConfigurationInvalid
from softwareupdate_core.version_checks import always_current, never_current


@pytest.mark.parametrize("online", [True, False])
def test_always_current_defaults_and_works_offline(online: bool) -> None:
    """always_current reports 1.0.0 on both sides as current, online or not."""
    info, is_current = always_current.get_latest("t", {}, online=online)
    assert is_current is True
    assert (info.local.name, info.remote.name) == ("1.0.0", "1.0.0")
    assert info.needs_online is False


@pytest.mark.parametrize(("value", "expected"), [("2.3.4", "2.3.4"), (1.5, "1.5"), (7, "7")])
def test_always_current_uses_current_version(value: object, expected: str) -> None:
    """current_version is shown as both local and remote version."""
    info, is_current = always_current.get_latest("t", {"current_version": value})
    assert is_current is True
    assert info.local.value == info.remote.value == expected


@pytest.mark.parametrize("online", [True, False])
def test_never_current_defaults_and_works_offline(online: bool) -> None:
    """never_current offers 1.0.0 -> 1.0.1 by default, online or not."""
    info, is_current = never_current.get_latest("t", {}, online=online)
    assert is_current is False
    assert (info.local.value, info.remote.value) == ("1.0.0", "1.0.1")
    assert info.needs_online is False


def test_never_current_uses_configured_versions() -> None:
    """local_version and remote_version are reported as configured."""
    check = {"local_version": "0.9", "remote_version": "2.0"}
    info, is_current = never_current.get_latest("t", check)
    assert is_current is False
    assert (info.local.name, info.remote.name) == ("0.9", "2.0")
    assert info.as_dict()["remote"] == {"name": "2.0", "value": "2.0", "release_notes": None}


@pytest.mark.parametrize(
    ("module", "key", "value"),
    [
        (always_current, "current_version", ["1.0"]),
        (always_current, "current_version", "  "),
        (always_current, "current_version", True),
        (never_current, "local_version", {"v": 1}),
        (never_current, "remote_version", ""),
    ],
)
def test_bad_versions_are_configuration_invalid(module: object, key: str, value: object) -> None:
    """A version that is not a non-empty string or number is refused, naming the key."""
    with pytest.raises(ConfigurationInvalid, match=rf"checks\.t\.{key}"):
        module.get_latest("t", {key: value})  # type: ignore[attr-defined]
