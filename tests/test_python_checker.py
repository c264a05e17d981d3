"""Tests for the python_checker check: calling conventions, result shapes and errors."""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any, Optional

import pytest

from softwareupdate_core.exceptions import (
    CannotCheckOffline,
    CheckError,
    ConfigurationInvalid,
    NetworkError,
    SoftwareUpdateError,
)
from softwareupdate_core.models import RemoteRef, VersionInformation, VersionRef
from softwareupdate_core.version_checks import python_checker

INFO = VersionInformation(
    local=VersionRef(name="1.0", value="1.0"),
    remote=RemoteRef(name="1.1", value="1.1", release_notes="https://example.invalid/notes"),
)
CREDENTIALS = {"github": "token"}


class Recorder:
    """A checker object whose get_latest records the keywords it received."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Mapping[str, Any], dict[str, Any]]] = []

    def get_latest(
        self, target: str, check: Mapping[str, Any], **kwargs: Any
    ) -> tuple[VersionInformation, bool]:
        self.calls.append((target, check, kwargs))
        return INFO, False


def test_object_with_get_latest_gets_every_keyword() -> None:
    """An object with get_latest taking **kwargs receives online, credentials and extras."""
    recorder = Recorder()
    check = {"python_checker": recorder, "offline": True}
    info, is_current = python_checker.get_latest(
        "t", check, online=False, credentials=CREDENTIALS, http="client"
    )
    assert (info, is_current) == (INFO, False)
    assert recorder.calls == [
        ("t", check, {"online": False, "credentials": CREDENTIALS, "http": "client"})
    ]


def test_module_checker_is_used_through_get_latest() -> None:
    """A module with get_latest qualifies, as the reference plugin's docs say."""
    module = types.ModuleType("plugin_checker")
    seen: list[bool] = []

    def get_latest(target: str, check: Mapping[str, Any], online: bool = True) -> Any:
        seen.append(online)
        return INFO, True

    module.get_latest = get_latest  # type: ignore[attr-defined]
    assert python_checker.get_latest(
        "t", {"python_checker": module, "offline": True}, online=False
    ) == (INFO, True)
    assert seen == [False]


def test_old_two_argument_signature_still_works() -> None:
    """A checker written as ``(target, check)`` is called without any keywords."""
    calls: list[tuple[str, Mapping[str, Any]]] = []

    def old(target: str, check: Mapping[str, Any]) -> Any:
        calls.append((target, check))
        return INFO, False

    check = {"python_checker": old, "offline": True}
    python_checker.get_latest("t", check, online=False, credentials=CREDENTIALS, http="x")
    assert calls == [("t", check)]


def test_only_named_keywords_are_passed() -> None:
    """A checker naming ``credentials`` (keyword-only) but not ``online`` gets just that."""
    received: list[Optional[Mapping[str, Any]]] = []

    def checker(target: str, check: Mapping[str, Any], *, credentials: Any = None) -> Any:
        received.append(credentials)
        return INFO, True

    python_checker.get_latest(
        "t",
        {"python_checker": checker, "offline": True},
        online=False,
        credentials=CREDENTIALS,
        http="x",
    )
    assert received == [CREDENTIALS]


def test_octoprint_dict_shape_is_coerced() -> None:
    """A result in OctoPrint's dict shape becomes VersionInformation."""
    shaped = {
        "local": {"name": "1.0", "value": "1.0"},
        "remote": {"name": "1.1", "value": "1.1", "release_notes": "https://example.invalid/notes"},
        "needs_online": True,
    }
    info, is_current = python_checker.get_latest(
        "t", {"python_checker": lambda target, check: (shaped, False)}
    )
    assert info == INFO
    assert is_current is False


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (None, "must return \\(information, is_current\\), got NoneType"),
        ((INFO,), "got a tuple of 1 items"),
        ((INFO, False, 3), "got a tuple of 3 items"),
        ((INFO, "yes"), "is_current must be a bool, got str"),
        ((INFO, None), "is_current must be a bool, got NoneType"),
        (("1.1", False), "information must be VersionInformation or a mapping, got str"),
        (({"local": "1.0"}, False), "bad information: .*'local' and 'remote'"),
    ],
)
def test_wrong_result_shapes_are_check_errors(result: object, message: str) -> None:
    """Anything but (VersionInformation | OctoPrint dict, bool) is a CheckError."""
    with pytest.raises(CheckError, match=message):
        python_checker.get_latest("t", {"python_checker": lambda target, check: result})


def test_foreign_exception_becomes_check_error() -> None:
    """A checker raising e.g. KeyError gives a CheckError naming target and exception."""

    def broken(target: str, check: Mapping[str, Any]) -> Any:
        raise KeyError("version")

    with pytest.raises(CheckError, match="t: python_checker raised KeyError") as caught:
        python_checker.get_latest("t", {"python_checker": broken})
    assert isinstance(caught.value.__cause__, KeyError)


def test_library_exception_passes_through_unchanged() -> None:
    """A SoftwareUpdateError from the checker keeps its class and so its report code."""
    error = NetworkError("unreachable")

    def offline(target: str, check: Mapping[str, Any]) -> Any:
        raise error

    with pytest.raises(SoftwareUpdateError) as caught:
        python_checker.get_latest("t", {"python_checker": offline})
    assert caught.value is error
    assert caught.value.code == "network"


def test_internal_type_error_is_not_mistaken_for_a_signature_problem() -> None:
    """A TypeError raised inside the checker is reported as its failure, not retried."""
    calls: list[int] = []

    def checker(target: str, check: Mapping[str, Any], online: bool = True) -> Any:
        calls.append(1)
        raise TypeError("unsupported operand")

    with pytest.raises(CheckError, match="raised TypeError: unsupported operand"):
        python_checker.get_latest("t", {"python_checker": checker})
    assert calls == [1]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "is mandatory"),
        ("module.path", "expected a callable or an object with get_latest, got str"),
        (lambda: (INFO, True), "cannot be called as \\(target, check\\)"),
        (lambda target, check, extra: (INFO, True), "cannot be called as \\(target, check\\)"),
    ],
)
def test_unusable_checker_is_configuration_invalid(value: object, message: str) -> None:
    """A missing, non-callable or wrongly shaped checker is refused before calling it."""
    check = {} if value is None else {"python_checker": value}
    with pytest.raises(ConfigurationInvalid, match=message):
        python_checker.get_latest("t", check)


def test_item09_checker_is_not_called_offline_unless_offline_is_set() -> None:
    """issue 9 item 9: offline, the checker is not called unless the check says offline: true."""
    calls: list[bool] = []

    def checker(target: str, check: Mapping[str, Any], online: bool = True) -> Any:
        calls.append(online)
        return {"local": {"name": "1", "value": "1"}, "remote": {"name": "1", "value": "1"}}, True

    with pytest.raises(CannotCheckOffline):
        python_checker.get_latest("t", {"python_checker": checker}, online=False)
    assert calls == []
    info, _ = python_checker.get_latest(
        "t", {"python_checker": checker, "offline": True}, online=False
    )
    assert calls == [False]
    assert info.local.value == "1"
