"""Persistent stores in the data folder: the version cache and the HTTP validator store.

Both are JSON documents tagged with a format name, written atomically
(:func:`~softwareupdate_core.util.atomic_write`). A file that is not valid JSON or carries
another format is renamed to ``<name>.corrupt-<timestamp>`` with a warning and rebuilt;
a broken cache never fails a check round.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Optional

import attrs

from ..exceptions import SoftwareUpdateError
from ..http import StoredAnswer
from ..models import RemoteRef, VersionInformation, VersionRef
from ..redact import redact_text
from ..util import atomic_write, locked_file, read_only_folder

log = logging.getLogger(__name__)

VERSION_CACHE_FILE = "version_cache.json"
VALIDATORS_FILE = "http_validators.json"
_FORMAT_VERSION = 1


# -- tagged JSON documents ------------------------------------------------------------------


def read_document(path: Path, kind: str, clock: Callable[[], float] = time.time) -> Optional[Any]:
    """Return the ``data`` of the document at ``path`` if it is a ``kind`` document.

    A missing file gives None. A corrupt or foreign file is set aside (renamed
    ``*.corrupt-<timestamp>``) with a warning, and None is returned so the caller rebuilds.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read %s (%s); starting afresh", path, exc.strerror or exc)
        return None
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        set_aside(path, "it is not valid JSON", clock)
        return None
    if (
        not isinstance(document, dict)
        or document.get("format") != kind
        or document.get("version") != _FORMAT_VERSION
        or "data" not in document
    ):
        set_aside(path, f"it is not a {kind} document of version {_FORMAT_VERSION}", clock)
        return None
    return document["data"]


def write_document(path: Path, kind: str, data: Any) -> None:
    """Write ``data`` as a ``kind`` document, atomically, readable by its owner only.

    Documents in the data folder hold what configurations and servers said (release notes,
    messages, answers of authenticated requests), so they get mode 0600 like a credentials file.
    """
    document = {"format": kind, "version": _FORMAT_VERSION, "data": data}
    atomic_write(path, json.dumps(document, separators=(",", ":"), sort_keys=True), mode=0o600)


def set_aside(path: Path, reason: str, clock: Callable[[], float] = time.time) -> None:
    """Rename a broken file out of the way, keeping it for inspection."""
    aside = path.with_name(f"{path.name}.corrupt-{int(clock())}")
    try:
        os.replace(path, aside)
    except OSError as exc:
        log.warning("%s is unusable (%s) and cannot be moved aside: %s", path, reason, exc)
        return
    log.warning("%s is unusable (%s); moved it to %s and starting afresh", path, reason, aside)


def file_stamp(path: Path) -> Optional[tuple[int, int, int]]:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


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


def url_key(url: str) -> str:
    """The key of a request URL in the validator store: a digest, never the URL in clear."""
    return "sha256:" + hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


@attrs.define
class PersistentValidatorStore:
    """A :class:`~softwareupdate_core.http.ValidatorStore` kept in a file in the data folder.

    The file is read on first use, so a round answered from the version cache never loads it.
    At most ``max_entries`` answers and ``max_bytes`` of bodies are kept; the oldest go first.
    A request URL may carry a password or a ``?token=``: the file keys each answer by a
    SHA-256 digest of its URL and keeps the URL itself only masked, for people reading it.
    """

    path: Path
    clock: Callable[[], float] = time.time
    max_entries: int = 5000
    max_bytes: int = 32 * 1024 * 1024
    #: Oldest first: an answer stored again moves to the end, so eviction pops from the front.
    _answers: dict[str, StoredAnswer] = attrs.field(factory=dict)
    _size: int = 0
    _loaded: bool = False
    _dirty: bool = False
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    KIND = "softwareupdate-core/http-validators"

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        data = read_document(self.path, self.KIND, self.clock)
        if not isinstance(data, list):
            if data is not None:
                set_aside(self.path, "its answers are not a list", self.clock)
            return
        answers: list[tuple[str, StoredAnswer]] = []
        for raw in data:
            try:
                answer = StoredAnswer.from_dict(raw)
                key = raw.get("key")
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
            if not isinstance(key, str):
                # written before URLs were digested: rewrite it without the clear URL
                key, self._dirty = url_key(answer.url), True
            answers.append((key, answer))
        for key, answer in sorted(answers, key=lambda pair: pair[1].stored_at):  # once, at load
            self._store(key, answer)

    def _store(self, key: str, answer: StoredAnswer) -> None:
        """Keep ``answer`` as the newest one; drop the oldest beyond the bounds (O(1) each)."""
        previous = self._answers.pop(key, None)
        if previous is not None:
            self._size -= len(previous.body)
        self._answers[key] = answer
        self._size += len(answer.body)
        while self._answers and (
            len(self._answers) > self.max_entries or self._size > self.max_bytes
        ):
            oldest = next(iter(self._answers))
            self._size -= len(self._answers.pop(oldest).body)
            self._dirty = True

    def get_answer(self, url: str) -> Optional[StoredAnswer]:
        with self._lock:
            self._load()
            answer = self._answers.get(url_key(url))
            return None if answer is None else attrs.evolve(answer, url=url)

    def put_answer(self, answer: StoredAnswer) -> None:
        with self._lock:
            self._load()
            self._store(url_key(answer.url), answer)
            self._dirty = True

    def __len__(self) -> int:
        with self._lock:
            self._load()
            return len(self._answers)

    def flush(self) -> None:
        """Write the store if it changed since it was read."""
        with self._lock:
            if not self._dirty or read_only_folder(self.path.parent):
                return
            data = [
                {**a.as_dict(), "url": redact_text(a.url), "key": key}
                for key, a in self._answers.items()
                # a header echoing a secret (a Link with ?token=) is not written to disk
                if all(redact_text(v) == v for v in a.headers.values())
            ]
            try:
                write_document(self.path, self.KIND, data)
            except OSError as exc:
                log.warning("cannot write the validator store: %s", exc)
                return
            self._dirty = False
