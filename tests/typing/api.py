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


class MyHost:
    """A host implementing the Host protocol in full."""

    def is_online(self) -> bool:
        return True

    def is_busy(self) -> bool:
        return False

    def is_throttled(self) -> bool:
        return False

    def restart(self, kind: str) -> None:
        assert kind in ("octoprint", "environment")


def use_host_sink_and_errors() -> None:
    from softwareupdate_core import (
        CannotCheckOffline,
        CannotUpdateOffline,
        CheckError,
        ConfigurationInvalid,
        EventSink,
        Host,
        NetworkError,
        NoUpdateAvailable,
        RestartFailed,
        SoftwareUpdateError,
        UnknownCheckType,
        UnknownUpdateType,
        UpdateAlreadyInProgress,
        UpdateError,
        Updater,
        VersionCheck,
    )
    from softwareupdate_core.version_checks import always_current

    host: Host = MyHost()
    events: EventSink = sink
    checker: VersionCheck = always_current
    caught: tuple[type[SoftwareUpdateError], ...] = (
        CannotCheckOffline,
        CannotUpdateOffline,
        CheckError,
        ConfigurationInvalid,
        NetworkError,
        NoUpdateAvailable,
        RestartFailed,
        UnknownCheckType,
        UnknownUpdateType,
        UpdateAlreadyInProgress,
        UpdateError,
    )
    try:
        with Manager(None, host=host, events=events) as manager:
            manager.update(["a"])
    except caught as exc:
        message: str = str(exc)
        assert message
    updater: type[Updater] | None = None
    assert checker is not None and updater is None
