"""Per-target state persisted in the data folder: what the library learned or the user chose.

It holds the tracked ``current`` commit of commit-based checks, the release channel choice
(``prerelease``/``prerelease_channel``) and a skipped version. The state overlays the
check config, so it survives restarts without rewriting the host's configuration.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Optional

import attrs

from .documents import file_stamp, locked_file, read_document, set_aside, write_document

STATE_FILE = "state.json"


def _opt_str(value: object) -> Optional[str]:
    return None if value is None else str(value)


def _opt_bool(value: object) -> Optional[bool]:
    return None if value is None else bool(value)


@attrs.frozen
class TargetState:
    """What is persisted for one target; None means "not set, use the config"."""

    current: Optional[str] = attrs.field(default=None, converter=_opt_str)
    prerelease: Optional[bool] = attrs.field(default=None, converter=_opt_bool)
    prerelease_channel: Optional[str] = attrs.field(default=None, converter=_opt_str)
    skipped_version: Optional[str] = attrs.field(default=None, converter=_opt_str)

    @property
    def empty(self) -> bool:
        return self == TargetState()

    def apply(self, check: Mapping[str, Any]) -> dict[str, Any]:
        """``check`` with the persisted ``current`` and channel choice laid over it."""
        result = dict(check)
        if self.current is not None:
            result["current"] = self.current
        if self.prerelease is not None:
            result["prerelease"] = self.prerelease
            if self.prerelease and self.prerelease_channel:
                result["prerelease_channel"] = self.prerelease_channel
            else:
                result.pop("prerelease_channel", None)
        return result

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in attrs.asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TargetState:
        return cls(
            current=data.get("current"),
            prerelease=data.get("prerelease"),
            prerelease_channel=data.get("prerelease_channel"),
            skipped_version=data.get("skipped_version"),
        )


@attrs.define
class StateStore:
    """The state file; every change is written at once (changes are rare and deliberate)."""

    path: Path
    clock: Callable[[], float] = time.time
    _targets: dict[str, TargetState] = attrs.field(factory=dict)
    _stamp: Optional[tuple[int, int, int]] = None
    _loaded: bool = False
    _lock: threading.RLock = attrs.field(factory=threading.RLock)

    KIND = "softwareupdate-core/state"

    def _refresh(self) -> None:
        stamp = file_stamp(self.path)
        if self._loaded and stamp == self._stamp:
            return
        self._targets = {}
        data = read_document(self.path, self.KIND, self.clock)
        if data is not None and not isinstance(data, dict):
            set_aside(self.path, "its targets are not a mapping", self.clock)
            data = None
        for target, raw in (data or {}).items():
            if isinstance(raw, Mapping):
                self._targets[str(target)] = TargetState.from_dict(raw)
        self._stamp = file_stamp(self.path)
        self._loaded = True

    def get(self, target: str) -> TargetState:
        with self._lock:
            self._refresh()
            return self._targets.get(target, TargetState())

    def all(self) -> dict[str, TargetState]:
        with self._lock:
            self._refresh()
            return dict(self._targets)

    def update(self, target: str, **changes: Any) -> TargetState:
        """Change fields of ``target``'s state (None clears one) and persist it.

        The read-modify-write holds the file lock, so writers in other processes (or other
        stores in this one) do not lose each other's targets; the file is always re-read
        under it, since a (mtime, size, inode) stamp can repeat within a timer tick.
        """
        with self._lock, locked_file(self.path):
            self._loaded = False
            self._refresh()
            state = attrs.evolve(self._targets.get(target, TargetState()), **changes)
            if state.empty:
                self._targets.pop(target, None)
            else:
                self._targets[target] = state
            write_document(self.path, self.KIND, {t: s.as_dict() for t, s in self._targets.items()})
            self._stamp = file_stamp(self.path)
            return state
