"""Conditional requests: the ETag/Last-Modified validators of earlier answers and their stores.

The client sends the stored validators with a conditional request and reuses the stored
answer on ``304``. :class:`MemoryValidatorStore` keeps them for one process;
:class:`PersistentValidatorStore` keeps them in a tagged JSON document in the data folder.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Optional, Protocol

import attrs

from ..redact import redact_text
from ..store.documents import (
    read_document,
    read_only_folder,
    set_aside,
    write_document,
)

log = logging.getLogger(__name__)


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


@attrs.frozen
class StoredAnswer:
    """A response body kept with its validators, to be reused when the server says 304."""

    url: str
    status: int
    body: bytes
    headers: Mapping[str, str]
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    stored_at: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status,
            "body": self.body.decode("utf-8", "replace"),
            "headers": dict(self.headers),
            "etag": self.etag,
            "last_modified": self.last_modified,
            "stored_at": self.stored_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StoredAnswer:
        return cls(
            url=str(data["url"]),
            status=int(data["status"]),
            body=str(data["body"]).encode("utf-8"),
            headers={str(k): str(v) for k, v in dict(data.get("headers") or {}).items()},
            etag=data.get("etag"),
            last_modified=data.get("last_modified"),
            stored_at=float(data.get("stored_at") or 0.0),
        )


class ValidatorStore(Protocol):
    """Where conditional-request validators live (in memory, or persisted by the cache)."""

    def get_answer(self, url: str) -> Optional[StoredAnswer]: ...

    def put_answer(self, answer: StoredAnswer) -> None: ...


@attrs.define
class MemoryValidatorStore:
    """A validator store that lives as long as the client."""

    _answers: dict[str, StoredAnswer] = attrs.field(factory=dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def get_answer(self, url: str) -> Optional[StoredAnswer]:
        with self._lock:
            return self._answers.get(url)

    def put_answer(self, answer: StoredAnswer) -> None:
        with self._lock:
            self._answers[answer.url] = answer


VALIDATORS_FILE = "http_validators.json"
