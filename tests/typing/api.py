"""Never executed: type-checked by mypy so a breaking change of the public API fails CI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from softwareupdate_core import (
    CheckReport,
    Manager,
    Settings,
    UpdateLogEntry,
    UpdateReport,
    VersionInformation,
    hookimpl,
)
from softwareupdate_core.events import UPDATE_FAILED, UPDATE_SUCCEEDED
from softwareupdate_core.models import RemoteRef, VersionRef


def sink(name: str, payload: Mapping[str, Any]) -> None:
    assert name in (UPDATE_SUCCEEDED, UPDATE_FAILED)


def use_manager() -> None:
    manager = Manager(
        Settings(), data_folder="/tmp/x", events=sink, plugins=[], load_entrypoints=False
    )
    report: CheckReport = manager.check(["a"], force=True)
    assert report.status in ("current", "updateAvailable", "updatePossible")
    result: UpdateReport = manager.update(None, force=False)
    log: list[UpdateLogEntry] = manager.update_log()
    checks: dict[str, dict[str, Any]] = manager.effective_checks()
    manager.set_release_channel("a", "rc/devel")
    manager.skip("a", "1.0")
    manager.unskip("a")
    Manager.from_yaml("/tmp/config.yaml", data_folder="/tmp/x")
    assert result and log is not None and checks is not None


class Plugin:
    @hookimpl
    def softwareupdate_check_config(self) -> Mapping[str, Mapping[str, Any]]:
        return {"mine": {"type": "always_current"}}


def custom_checker(
    target: str, check: Mapping[str, Any], online: bool = True, **kwargs: Any
) -> tuple[VersionInformation, bool]:
    info = VersionInformation(VersionRef("1", "1"), RemoteRef("1", "1"))
    return info, True
