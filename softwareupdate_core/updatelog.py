"""The persisted update log: one entry per target per update round, kept for a cut-off time.

It lives as JSON in the data folder and is rewritten atomically, so a crash never leaves half a
log. Entries older than the cut-off are dropped when the log is read; a file that is not a log
any more is set aside (renamed) with a warning instead of failing every later round.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any, Callable, Union

from .models import UpdateLogEntry
from .util import atomic_write

log = logging.getLogger(__name__)

#: Name of the log file in the data folder.
UPDATE_LOG_FILE_NAME = "update_log.json"
_FORMAT_VERSION = 1


class UpdateLog:
    """Reads and appends the update log at ``path``; ``clock`` gives epoch seconds."""

    def __init__(
        self,
        path: Union[str, os.PathLike[str]],
        *,
        cutoff_minutes: int,
        clock: Callable[[], float],
    ) -> None:
        self.path = Path(path)
        self.cutoff_minutes = cutoff_minutes
        self._clock = clock
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        """The current time as an aware UTC datetime, from the injected clock."""
        return dt.datetime.fromtimestamp(self._clock(), dt.timezone.utc)

    def entries(self) -> list[UpdateLogEntry]:
        """The entries younger than the cut-off, oldest first."""
        with self._lock:
            return self._load()

    def append(self, entry: UpdateLogEntry) -> None:
        """Add ``entry`` and rewrite the file (dropping expired entries on the way)."""
        with self._lock:
            entries = self._load()
            entries.append(entry)
            self._write(entries)

    def _write(self, entries: list[UpdateLogEntry]) -> None:
        document = {"version": _FORMAT_VERSION, "entries": [e.as_dict() for e in entries]}
        atomic_write(self.path, json.dumps(document, indent=2, sort_keys=True))

    def _load(self) -> list[UpdateLogEntry]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        try:
            document: Any = json.loads(data.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            self._set_aside(f"not valid JSON: {exc}")
            return []
        raw = document.get("entries") if isinstance(document, dict) else document
        if not isinstance(raw, list):
            self._set_aside("expected a list of entries")
            return []
        cutoff = self.now() - dt.timedelta(minutes=self.cutoff_minutes)
        entries: list[UpdateLogEntry] = []
        for index, item in enumerate(raw):
            try:
                entry = UpdateLogEntry.from_dict(item)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                log.warning("%s: entry %d ignored, it is malformed (%s)", self.path, index, exc)
                continue
            if _aware(entry.datetime) >= cutoff:
                entries.append(entry)
        entries.sort(key=lambda e: _aware(e.datetime))
        return entries

    def _set_aside(self, why: str) -> None:
        stamp = self.now().strftime("%Y%m%dT%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        try:
            os.replace(self.path, aside)
        except OSError as exc:
            log.warning(
                "update log %s is unusable (%s) and cannot be moved: %s", self.path, why, exc
            )
            return
        log.warning(
            "update log %s is unusable (%s); moved to %s, starting a new log", self.path, why, aside
        )


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)
