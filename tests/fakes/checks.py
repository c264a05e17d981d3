"""Fake version checks, check-config providers and an updater, registered as pluggy plugins.

Use with ``Manager(plugins=[FakeChecks(), ...], load_entrypoints=False)``. The ``fake`` type
answers from its config (``remote``, ``current``); ``fake_http`` reads ``{"version": ...}``
from ``check["url"]`` through the shared HTTP client; ``legacy`` has a third-party signature
without ``**kwargs``. Every call is counted per target, and a test can make a target fail or
block on an event.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any, Optional

from softwareupdate_core import hookimpl
from softwareupdate_core.http import client_from
from softwareupdate_core.models import RemoteRef, VersionInformation, VersionRef


class _FakeCheck:
    """Type ``fake``: remote ``check["remote"]``, local ``check["current"]``."""

    def __init__(self, owner: FakeChecks) -> None:
        self.owner = owner

    def get_latest(
        self,
        target: str,
        check: Mapping[str, Any],
        online: bool = True,
        credentials: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> tuple[VersionInformation, bool]:
        self.owner.record(target, kwargs)
        if self.owner.gate is not None:
            self.owner.gate.wait(10)
        failure = self.owner.failures.get(target)
        if failure is not None:
            raise failure
        remote = str(check.get("remote", "1.0"))
        current = check.get("current")
        info = VersionInformation(
            VersionRef(current, current),
            RemoteRef(remote, remote, check.get("remote_notes")),
            needs_online=False,
        )
        return info, current == remote


class _HttpCheck:
    """Type ``fake_http``: ``{"version": ...}`` read from ``check["url"]``."""

    def __init__(self, owner: FakeChecks) -> None:
        self.owner = owner

    def get_latest(
        self,
        target: str,
        check: Mapping[str, Any],
        online: bool = True,
        credentials: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> tuple[VersionInformation, bool]:
        self.owner.record(target, kwargs)
        remote = str(client_from(kwargs).get(str(check["url"])).json_object()["version"])
        current = check.get("current")
        return VersionInformation(
            VersionRef(current, current), RemoteRef(remote, remote)
        ), current == remote


class _LegacyCheck:
    """Type ``legacy``: a third-party checker that accepts no extra keywords."""

    def __init__(self, owner: FakeChecks) -> None:
        self.owner = owner

    def get_latest(self, target: str, check: Mapping[str, Any], online: bool = True) -> Any:
        self.owner.record(target, {"online": online})
        # OctoPrint's dict shape, as third-party checkers return it
        return {
            "local": {"name": "1.0", "value": "1.0"},
            "remote": {"name": "2.0", "value": "2.0", "release_notes": None},
            "needs_online": True,
        }, False


class FakeChecks:
    """A plugin providing the fake check types; ``calls`` counts checks per target."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.kwargs: dict[str, dict[str, Any]] = {}
        self.failures: dict[str, Exception] = {}
        self.gate: Optional[threading.Event] = None
        self._lock = threading.Lock()

    def record(self, target: str, kwargs: Mapping[str, Any]) -> None:
        with self._lock:
            self.calls[target] += 1
            self.kwargs[target] = dict(kwargs)

    @hookimpl
    def softwareupdate_version_checks(self) -> Mapping[str, Any]:
        return {
            "fake": _FakeCheck(self),
            "fake_http": _HttpCheck(self),
            "legacy": _LegacyCheck(self),
        }


class ConfigProvider:
    """A plugin providing check configs through ``softwareupdate_check_config``."""

    def __init__(self, configs: Mapping[str, Any]) -> None:
        self.configs = dict(configs)

    @hookimpl
    def softwareupdate_check_config(self) -> Mapping[str, Any]:
        return self.configs


class FakeUpdater:
    """A plugin providing update method ``fake_method``; ``can`` says whether it can update."""

    def __init__(self, can: bool = True) -> None:
        self.can = can

    def can_perform_update(
        self, target: str, check: Mapping[str, Any], online: bool = True
    ) -> bool:
        return self.can

    def perform_update(
        self,
        target: str,
        check: Mapping[str, Any],
        target_version: str,
        log_cb: Any = None,
        online: bool = True,
        force: bool = False,
    ) -> Any:
        return None

    @hookimpl
    def softwareupdate_updaters(self) -> Mapping[str, Any]:
        return {"fake_method": self}


class FakeClock:
    """A settable clock for ``Manager(clock=...)``; starts at a fixed epoch time."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
