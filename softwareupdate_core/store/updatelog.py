"""The persisted update log: one entry per target per update round, kept for a cut-off time.

It is a tagged JSON document in the data folder (:mod:`.documents`),
rewritten atomically under a cross-process lock, so a crash never leaves half a log and two
processes appending never lose an entry. Entries older than the cut-off are dropped when the
log is read; a file that is not a log any more is set aside (renamed) with a warning instead
of failing every later round. Before a target's update command runs, an "update started"
entry is written; the outcome replaces it, and a round killed in between leaves it for the
next round to report as "interrupted, outcome unknown". Logs written before the tag (a bare
list of entries, or ``{"version": 1, "entries": [...]}``) are still read.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any, Callable, Optional, Union

import attrs

from ..models import UpdateLogEntry
from .documents import locked_file, read_document, set_aside, write_document

log = logging.getLogger(__name__)

#: Name of the log file in the data folder.
UPDATE_LOG_FILE_NAME = "update_log.json"
#: Format tag of the log document.
UPDATE_LOG_KIND = "softwareupdate-core/update-log"
#: ``status`` of the entry written before a target's update command runs.
STARTED = "started"
#: ``status`` of a started entry whose round was killed before it recorded the outcome.
INTERRUPTED = "interrupted"
STARTED_TEXT = "update started, outcome not known yet"
INTERRUPTED_TEXT = "interrupted, outcome unknown"


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
        #: Target -> time of the "update started" entry this log wrote and has not finished.
        self._open: dict[str, dt.datetime] = {}

    def now(self) -> dt.datetime:
        """The current time as an aware UTC datetime, from the injected clock."""
        return dt.datetime.fromtimestamp(self._clock(), dt.timezone.utc)

    def entries(self) -> list[UpdateLogEntry]:
        """The entries younger than the cut-off, oldest first."""
        with self._lock:
            return self._load()

    def append(self, entry: UpdateLogEntry) -> None:
        """Add ``entry`` and rewrite the file (dropping expired entries on the way).

        Raises SoftwareUpdateError when the file stays locked by another process too long.
        """
        with self._lock, locked_file(self.path):
            entries = self._load()
            entries.append(entry)
            write_document(self.path, UPDATE_LOG_KIND, [e.as_dict() for e in entries])

    def start(self, entry: UpdateLogEntry) -> None:
        """Write the "update started" entry of ``entry``'s target before its command runs.

        :meth:`finish` replaces it with the outcome; if the round is killed first, the next
        round finds it (:meth:`close_interrupted`). A log that cannot be written raises.
        """
        started = attrs.evolve(entry, success=False, text=STARTED_TEXT, status=STARTED)
        self.append(started)
        self._open[entry.target] = started.datetime

    def finish(self, entry: UpdateLogEntry) -> None:
        """Append ``entry`` (an outcome), replacing the target's "update started" entry."""
        when = self._open.pop(entry.target, None)
        with self._lock, locked_file(self.path):
            entries = [
                e
                for e in self._load()
                if not (e.status == STARTED and e.target == entry.target and e.datetime == when)
            ]
            entries.append(entry)
            write_document(self.path, UPDATE_LOG_KIND, [e.as_dict() for e in entries])

    def close_interrupted(self) -> list[UpdateLogEntry]:
        """Mark "update started" entries of a round that died as interrupted; return them.

        Call it only while holding the update lock: then no round is running, so a started
        entry whose outcome is missing belongs to a round that was killed.
        """
        with self._lock, locked_file(self.path):
            self._open.clear()
            entries = self._load()
            found: list[UpdateLogEntry] = []
            for index, entry in enumerate(entries):
                if entry.status == STARTED:
                    entries[index] = attrs.evolve(
                        entry, success=False, text=INTERRUPTED_TEXT, status=INTERRUPTED
                    )
                    found.append(entries[index])
            if found:
                write_document(self.path, UPDATE_LOG_KIND, [e.as_dict() for e in entries])
        for entry in found:
            log.warning(
                "the update of %s started at %s was interrupted, outcome unknown",
                entry.target,
                entry.datetime.isoformat(timespec="seconds"),
            )
        return found

    def _load(self) -> list[UpdateLogEntry]:
        cutoff = self.now() - dt.timedelta(minutes=self.cutoff_minutes)
        entries: list[UpdateLogEntry] = []
        for index, item in enumerate(self._raw_entries()):
            try:
                entry = UpdateLogEntry.from_dict(item)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                log.warning("%s: entry %d ignored, it is malformed (%s)", self.path, index, exc)
                continue
            if _aware(entry.datetime) >= cutoff:
                entries.append(entry)
        entries.sort(key=lambda e: _aware(e.datetime))
        return entries

    def _raw_entries(self) -> list[Any]:
        legacy = _legacy_entries(self.path)
        if legacy is not None:
            return legacy
        data = read_document(self.path, UPDATE_LOG_KIND, self._clock)
        if data is None:
            return []
        if not isinstance(data, list):
            set_aside(self.path, "its entries are not a list", self._clock)
            return []
        return data


def _legacy_entries(path: Path) -> Optional[list[Any]]:
    """The entries of an untagged log of an earlier version; None for anything else.

    Anything that is not clearly such a log (missing, unreadable, not JSON, tagged) is left
    to :func:`.documents.read_document`, which reports or sets it aside.
    """
    try:
        document: Any = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if isinstance(document, list):
        return document
    if (
        isinstance(document, dict)
        and "format" not in document
        and isinstance(document.get("entries"), list)
    ):
        return list(document["entries"])
    return None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)
