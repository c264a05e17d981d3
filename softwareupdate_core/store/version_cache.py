"""The version cache: the last answer of each target's check, kept for ``cache_ttl``.

An entry is reused while it is fresh and was made from the same effective check config
(compared by :func:`config_hash`); it is a tagged JSON document of :mod:`.documents`, so a
broken cache file is set aside and rebuilt and never fails a check round.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Optional

import attrs

from ..exceptions import SoftwareUpdateError
from ..models import RemoteRef, VersionInformation, VersionRef
from .documents import (
    file_stamp,
    locked_file,
    read_document,
    read_only_folder,
    set_aside,
    write_document,
)

log = logging.getLogger(__name__)


log = logging.getLogger(__name__)

VERSION_CACHE_FILE = "version_cache.json"


# -- tagged JSON documents ------------------------------------------------------------------


# -- config fingerprint ----------------------------------------------------------------------


def _stable(value: object) -> str:
    """A process-independent text for values JSON cannot hold (callables, objects)."""
    module = getattr(value, "__module__", None)
    qualname = getattr(value, "__qualname__", None)
    if module and qualname:
        return f"<{module}.{qualname}>"
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


#: Stateless and thread-safe; reused because building an encoder per call costs ~10 %.
_ENCODER = json.JSONEncoder(sort_keys=True, default=_stable, separators=(",", ":"))


def config_hash(check: Mapping[str, Any]) -> str:
    """A digest of a check config, stable across processes (the cache key)."""
    text = _ENCODER.encode(check)
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]


class RoundDigests:
    """The config digests of one round: remembered ones, else computed (and remembered)."""

    def __init__(self, memo: Mapping[str, dict[str, str]]) -> None:
        self._memo = memo

    def digest(self, name: str, check: Mapping[str, Any]) -> str:
        """:func:`config_hash` of ``check``, the effective config of target ``name``."""
        known = self._memo.get(name)
        if known is None:
            return config_hash(check)
        digest = known.get(name)
        if digest is None:
            digest = known[name] = config_hash(check)
        return digest


@attrs.define
class ConfigDigests:
    """:func:`config_hash` of each target, remembered while its effective config is unchanged.

    Hashing every config costs a JSON encoding per target on every round. Encoding the
    configs in groups of ``group`` targets and comparing each group's text with an earlier
    round's is several times cheaper: an equal text means every target's own text in it, and
    so its digest, is unchanged. Groups keep the transient memory of the encoding small.
    """

    group: int = 100
    #: Text of a group -> the digests of its targets known so far.
    _groups: dict[str, dict[str, str]] = attrs.field(factory=dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def for_round(self, checks: Mapping[str, Mapping[str, Any]]) -> RoundDigests:
        """The digests for a round over ``checks`` (all effective configs, by target)."""
        if type(checks) is not dict:
            return RoundDigests({})  # the encoder would turn another mapping into a constant
        items = list(checks.items())
        try:
            texts = [
                _ENCODER.encode(dict(items[start : start + self.group]))
                for start in range(0, len(items), self.group)
            ]
        except (TypeError, ValueError, RecursionError):
            return RoundDigests({})  # hashed target by target, where the error shows as before
        memo: dict[str, dict[str, str]] = {}
        with self._lock:
            groups: dict[str, dict[str, str]] = {}
            for index, text in enumerate(texts):
                known = groups[text] = self._groups.get(text) or {}
                for name, _check in items[index * self.group : (index + 1) * self.group]:
                    memo[name] = known
            self._groups = groups
        return RoundDigests(memo)


# -- version cache ---------------------------------------------------------------------------


@attrs.frozen
class CacheEntry:
    """One target's last good answer, with the config and online state it was made under."""

    config_hash: str
    online: bool
    stored_at: float
    information: VersionInformation
    is_current: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "config_hash": self.config_hash,
            "online": self.online,
            "stored_at": self.stored_at,
            "information": {**self.information.as_dict(), "notes": list(self.information.notes)},
            "is_current": self.is_current,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CacheEntry:
        """Rebuild an entry; raises KeyError/TypeError/ValueError on a malformed one."""
        info = data["information"]
        local, remote = info["local"], info["remote"]
        return cls(
            config_hash=str(data["config_hash"]),
            online=bool(data["online"]),
            stored_at=float(data["stored_at"]),
            information=VersionInformation(
                local=VersionRef(local.get("name"), local.get("value")),
                remote=RemoteRef(
                    remote.get("name"), remote.get("value"), remote.get("release_notes")
                ),
                needs_online=bool(info.get("needs_online", True)),
                notes=tuple(str(n) for n in info.get("notes") or ()),
            ),
            is_current=bool(data["is_current"]),
        )

    def age(self, now: float) -> float:
        return now - self.stored_at

    def fresh(self, config_hash: str, online: bool, now: float, ttl_seconds: float) -> bool:
        """Valid for this config and online state, younger than the TTL, not from the future."""
        return (
            self.config_hash == config_hash
            and self.online == online
            and 0 <= now - self.stored_at < ttl_seconds
        )


@attrs.define
class VersionCache:
    """The per-target version cache file, held in memory and re-read when it changes on disk."""

    path: Path
    clock: Callable[[], float] = time.time
    _entries: dict[str, CacheEntry] = attrs.field(factory=dict)
    _changed: set[str] = attrs.field(factory=set)
    _stamp: Optional[tuple[int, int, int]] = None
    _loaded: bool = False
    _lock: threading.RLock = attrs.field(factory=threading.RLock)

    KIND = "softwareupdate-core/version-cache"

    def refresh(self) -> None:
        """Re-read the file if another Manager or process changed it (one stat when not)."""
        with self._lock:
            stamp = file_stamp(self.path)
            if self._loaded and stamp == self._stamp:
                return
            disk = self._read()
            for target in self._changed:  # our unsaved changes win
                if target in self._entries:
                    disk[target] = self._entries[target]
                else:
                    disk.pop(target, None)
            self._entries = disk
            self._stamp = file_stamp(self.path)
            self._loaded = True

    def _read(self) -> dict[str, CacheEntry]:
        data = read_document(self.path, self.KIND, self.clock)
        if data is None:
            return {}
        if not isinstance(data, dict):
            set_aside(self.path, "its entries are not a mapping", self.clock)
            return {}
        entries: dict[str, CacheEntry] = {}
        for target, raw in data.items():
            try:
                entries[str(target)] = CacheEntry.from_dict(raw)
            except (KeyError, TypeError, ValueError, AttributeError):
                log.warning("%s: dropped the malformed cache entry of %r", self.path, target)
        return entries

    def entries(self) -> dict[str, CacheEntry]:
        """A snapshot of all entries (one lock for a whole round instead of one per target)."""
        with self._lock:
            if not self._loaded:
                self.refresh()
            return dict(self._entries)

    def get(self, target: str) -> Optional[CacheEntry]:
        with self._lock:
            if not self._loaded:
                self.refresh()
            return self._entries.get(target)

    def put(self, target: str, entry: CacheEntry) -> None:
        with self._lock:
            if not self._loaded:
                self.refresh()
            self._entries[target] = entry
            self._changed.add(target)

    def drop(self, target: str) -> None:
        with self._lock:
            if not self._loaded:
                self.refresh()
            if self._entries.pop(target, None) is not None:
                self._changed.add(target)

    def flush(self) -> None:
        """Write changed entries, merged with what other writers stored meanwhile."""
        with self._lock:
            if not self._changed or read_only_folder(self.path.parent):
                return  # a read-only data folder: the Manager said so once
            try:
                with locked_file(self.path):  # no other writer between our read and write
                    self._loaded = False
                    self.refresh()  # merge: entries of other targets come from disk
                    write_document(
                        self.path, self.KIND, {t: e.as_dict() for t, e in self._entries.items()}
                    )
            except (OSError, SoftwareUpdateError) as exc:
                log.warning("cannot write the version cache: %s", exc)
                return
            self._changed.clear()
            self._stamp = file_stamp(self.path)


# -- HTTP validators -------------------------------------------------------------------------
