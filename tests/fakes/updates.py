"""Fakes for update-round tests: a version check and an updater sharing installed versions.

``Versions`` holds what is installed and what is offered per target; the ``state`` check type
reports from it and the ``recording`` update method "installs" into it, so a round changes
what the next check sees. ``Recorder`` is an event sink that keeps every event.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Optional

from softwareupdate_core import hookimpl
from softwareupdate_core.manager import Manager
from softwareupdate_core.models import RemoteRef, VersionInformation, VersionRef


class Versions:
    """Installed and offered versions per target."""

    def __init__(self, **pairs: tuple[Optional[str], Optional[str]]) -> None:
        self.installed: dict[str, Optional[str]] = {k: v[0] for k, v in pairs.items()}
        self.offered: dict[str, Optional[str]] = {k: v[1] for k, v in pairs.items()}


class StateCheck:
    """Check type ``state``: local and remote versions from a :class:`Versions`."""

    def __init__(self, versions: Versions) -> None:
        self.versions = versions

    def get_latest(
        self,
        target: str,
        check: Mapping[str, Any],
        online: bool = True,
        credentials: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> tuple[VersionInformation, bool]:
        local = self.versions.installed.get(target)
        remote = self.versions.offered.get(target)
        info = VersionInformation(
            VersionRef(local, local),
            RemoteRef(remote, remote, check.get("notes")),
            needs_online=False,
        )
        return info, remote is None or local == remote


class RecordingUpdater:
    """Update method ``recording``: records calls, may fail or block, installs into Versions."""

    def __init__(self, versions: Versions) -> None:
        self.versions = versions
        self.calls: list[tuple[str, str, bool]] = []
        self.failures: dict[str, BaseException] = {}
        self.possible = True
        #: Set to block perform_update until ``release`` is set (``entered`` says it began).
        self.release: Optional[threading.Event] = None
        self.entered = threading.Event()
        #: What installed_version reports; None means "whatever was installed last".
        self.reported_version: Optional[Callable[[str], Optional[str]]] = None

    def can_perform_update(
        self, target: str, check: Mapping[str, Any], online: bool = True
    ) -> bool:
        return self.possible

    def perform_update(
        self,
        target: str,
        check: Mapping[str, Any],
        target_version: str,
        log_cb: Optional[Callable[..., None]] = None,
        online: bool = True,
        force: bool = False,
    ) -> None:
        self.calls.append((target, target_version, force))
        if log_cb is not None:
            log_cb([f"installing {target} {target_version}"], stream="stdout")
        self.entered.set()
        if self.release is not None:
            self.release.wait(30)
        failure = self.failures.get(target)
        if failure is not None:
            raise failure
        self.versions.installed[target] = target_version

    def targets(self) -> list[str]:
        return [call[0] for call in self.calls]


class RoundPlugin:
    """Registers ``state`` and ``recording`` through the public hooks."""

    def __init__(self, versions: Versions, updater: Optional[RecordingUpdater] = None) -> None:
        self.versions = versions
        self.updater = updater or RecordingUpdater(versions)

    @hookimpl
    def softwareupdate_version_checks(self) -> Mapping[str, Any]:
        return {"state": StateCheck(self.versions)}

    @hookimpl
    def softwareupdate_updaters(self) -> Mapping[str, Any]:
        return {"recording": self.updater}


class Recorder:
    """An event sink keeping ``(name, payload)`` of every event, thread-safe."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self.seen = threading.Condition(self._lock)

    def __call__(self, name: str, payload: Mapping[str, Any]) -> None:
        with self.seen:
            self.events.append((name, dict(payload)))
            self.seen.notify_all()

    def names(self) -> list[str]:
        with self._lock:
            return [name for name, _ in self.events]

    def of(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [payload for n, payload in self.events if n == name]

    def wait_for(self, name: str, timeout: float = 30) -> bool:
        with self.seen:
            return self.seen.wait_for(lambda: any(n == name for n, _ in self.events), timeout)


def check(**extra: Any) -> dict[str, Any]:
    """A check config of type ``state`` updated by ``recording``."""
    return {"type": "state", "method": "recording", **extra}


def make_manager(
    data_folder: Path,
    plugin: RoundPlugin,
    checks: Mapping[str, Mapping[str, Any]],
    *,
    events: Optional[Recorder] = None,
    host: Optional[object] = None,
    **settings: Any,
) -> Manager:
    """A Manager with only ``plugin`` besides the built-ins, small free-space needs, no overlay."""
    section: dict[str, Any] = {
        "checks": dict(checks),
        "check_overlay_url": None,
        "minimum_free_storage": 1,
        **settings,
    }
    return Manager(
        section,
        data_folder=data_folder,
        events=events,
        host=host,
        plugins=[plugin],
        load_entrypoints=False,
    )
