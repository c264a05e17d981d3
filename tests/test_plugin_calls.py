"""Plugin callables written for older signatures are called through one adapter, correctly."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from softwareupdate_core import Manager, hookimpl
from softwareupdate_core.util import PluginCall, call_plugin


class OldCheckerAndUpdater:
    """A plugin whose python_checker and python_updater use the oldest signatures."""

    def __init__(self) -> None:
        self.checked: list[tuple[str, str]] = []
        self.updated: list[tuple[str, str, str, bool]] = []

    def checker(self, target: str, check: Mapping[str, Any]) -> Any:
        self.checked.append((target, str(check["type"])))
        info = {"local": {"name": "1.0", "value": "1.0"}, "remote": {"name": "2.0", "value": "2.0"}}
        return info, False

    def updater(
        self, target: str, check: Mapping[str, Any], target_version: str, log_cb: Any = None
    ) -> None:
        self.updated.append((target, str(check["type"]), target_version, callable(log_cb)))

    @hookimpl
    def softwareupdate_check_config(self) -> Mapping[str, Mapping[str, Any]]:
        return {
            "legacy": {
                "type": "python_checker",
                "python_checker": self.checker,
                "python_updater": self.updater,
            }
        }


def manager(tmp_path: Path, plugin: object) -> Manager:
    return Manager(
        {"check_overlay_url": None, "minimum_free_storage": 1},
        data_folder=tmp_path,
        plugins=[plugin],
        load_entrypoints=False,
    )


def test_old_python_checker_and_updater_run_through_a_round(tmp_path: Path) -> None:
    """A (target, check) checker and a (target, check, version, log_cb) updater still work."""
    plugin = OldCheckerAndUpdater()
    with manager(tmp_path, plugin) as m:
        report = m.check(force=True)
        status = report.targets["legacy"]
        assert status.error is None, status.error_message
        assert status.update_available
        result = m.update(["legacy"])
    assert plugin.checked and plugin.checked[0] == ("legacy", "python_checker")
    assert plugin.updated == [("legacy", "python_checker", "2.0", True)]
    assert result.results["legacy"].success


class OldThirdParty:
    """A third-party check type and update method with the shortest older signatures."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def get_latest(self, target: str, check: Mapping[str, Any], online: bool = True) -> Any:
        self.calls.append(f"get_latest online={online}")
        return {"local": {"name": "1", "value": "1"}, "remote": {"name": "3", "value": "3"}}, False

    def can_perform_update(self, target: str, check: Mapping[str, Any]) -> bool:
        self.calls.append("can_perform_update")
        return True

    def perform_update(self, target: str, check: Mapping[str, Any], target_version: str) -> None:
        self.calls.append(f"perform_update {target_version}")

    @hookimpl
    def softwareupdate_version_checks(self) -> Mapping[str, Any]:
        return {"old_type": self}

    @hookimpl
    def softwareupdate_updaters(self) -> Mapping[str, Any]:
        return {"old_method": self}

    @hookimpl
    def softwareupdate_check_config(self) -> Mapping[str, Mapping[str, Any]]:
        return {"thing": {"type": "old_type", "method": "old_method"}}


def test_third_party_types_with_old_signatures_are_called_correctly(tmp_path: Path) -> None:
    """A get_latest without credentials/**kwargs and a perform_update without log_cb work."""
    plugin = OldThirdParty()
    with manager(tmp_path, plugin) as m:
        assert m.check(force=True).targets["thing"].update_available
        result = m.update(["thing"])
    assert result.results["thing"].success, result.results["thing"].text
    assert "get_latest online=True" in plugin.calls
    assert "perform_update 3" in plugin.calls


def test_a_var_keyword_callable_gets_every_offered_keyword() -> None:
    """A callable with **kwargs receives everything the library offers."""
    seen: dict[str, Any] = {}

    def new(target: str, **kwargs: Any) -> str:
        seen.update(kwargs)
        return target

    assert call_plugin(new, "t", online=False, force=True, http="client") == "t"
    assert seen == {"online": False, "force": True, "http": "client"}


def test_a_type_error_inside_the_plugin_is_not_retried() -> None:
    """A TypeError raised by the plugin's own code surfaces once; the call is not repeated."""
    calls: list[int] = []

    def buggy(target: str, check: Mapping[str, Any], online: bool = True) -> None:
        calls.append(1)
        raise TypeError("the plugin's own bug")

    with pytest.raises(TypeError, match="own bug"):
        call_plugin(buggy, "t", {}, online=True, credentials={})
    assert calls == [1]


def test_problem_names_a_signature_that_cannot_take_the_arguments() -> None:
    """A callable taking one argument is reported unusable for (target, check), uncalled."""

    def one(target: str) -> None:
        raise AssertionError("must not be called")

    problem = PluginCall.of(one).problem("t", {}, online=True)
    assert problem is not None and "too many positional arguments" in problem
