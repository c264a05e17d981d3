"""The persisted update log: round trip, cut-off, corrupt files, malformed entries."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from pathlib import Path

import pytest

from softwareupdate_core.models import UpdateLogEntry
from softwareupdate_core.store.updatelog import UpdateLog
from tests.racing import WAIT_FOR_GO, race

START = 1_700_000_000.0


class Clock:
    """A clock a test moves forward."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def _entry(log: UpdateLog, target: str, success: bool = True) -> UpdateLogEntry:
    return UpdateLogEntry(
        datetime=log.now(),
        target=target,
        from_version="1.0",
        to_version="2.0",
        display_name=target.title(),
        release_notes=None,
        success=success,
        text="ok" if success else "broken",
    )


def test_entries_round_trip_through_the_file(tmp_path: Path) -> None:
    """Appended entries are read back by another instance, oldest first, in OctoPrint's shape."""
    clock = Clock()
    path = tmp_path / "update_log.json"
    log = UpdateLog(path, cutoff_minutes=60, clock=clock)
    first = _entry(log, "a")
    log.append(first)
    clock.now += 30
    second = _entry(log, "b", success=False)
    log.append(second)
    again = UpdateLog(path, cutoff_minutes=60, clock=clock).entries()
    assert again == [first, second]
    document = json.loads(path.read_text())
    assert document["format"] == "softwareupdate-core/update-log"
    stored = document["data"][0]
    assert stored["current_version"] == "1.0" and stored["target_version"] == "2.0"
    assert not list(tmp_path.glob(".*.tmp"))


def test_entries_older_than_the_cutoff_are_dropped(tmp_path: Path) -> None:
    """Once an entry is older than ``updatelog_cutoff`` minutes it is gone on the next read."""
    clock = Clock()
    log = UpdateLog(tmp_path / "log.json", cutoff_minutes=10, clock=clock)
    log.append(_entry(log, "old"))
    clock.now += 9 * 60
    log.append(_entry(log, "young"))
    assert [e.target for e in log.entries()] == ["old", "young"]
    clock.now += 2 * 60
    assert [e.target for e in log.entries()] == ["young"]
    log.append(_entry(log, "newest"))
    assert [e["target"] for e in json.loads(log.path.read_text())["data"]] == [
        "young",
        "newest",
    ]


def test_a_missing_log_is_empty(tmp_path: Path) -> None:
    """Without a file the log is empty and reading it creates nothing."""
    log = UpdateLog(tmp_path / "none.json", cutoff_minutes=10, clock=Clock())
    assert log.entries() == []
    assert not log.path.exists()


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '"a string"',
        '{"entries": 5}',
        "\xff\xfe",
        '{"format": "softwareupdate-core/update-log", "version": 1, "data": {"a": 1}}',
        '{"format": "softwareupdate-core/state", "version": 1, "data": []}',
    ],
)
def test_a_corrupt_log_is_set_aside_with_a_warning(
    tmp_path: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A file that is not a log is renamed aside, a warning logged, and a new log started."""
    path = tmp_path / "update_log.json"
    path.write_bytes(content.encode("latin-1"))
    log = UpdateLog(path, cutoff_minutes=10, clock=Clock())
    with caplog.at_level(logging.WARNING, logger="softwareupdate_core.store.updatelog"):
        assert log.entries() == []
    assert "unusable" in caplog.text
    aside = list(tmp_path.glob("update_log.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == content.encode("latin-1")
    log.append(_entry(log, "a"))
    assert [e.target for e in log.entries()] == ["a"]


def test_a_malformed_entry_is_skipped_and_the_rest_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """One broken entry is ignored with a warning; naive datetimes count as UTC."""
    path = tmp_path / "log.json"
    when = dt.datetime.fromtimestamp(START, dt.timezone.utc).replace(tzinfo=None)
    good = {"datetime": when.isoformat(), "target": "a", "success": True, "text": "fine"}
    path.write_text(
        json.dumps([{"target": "no date"}, good, {"datetime": "yesterday", "target": "x"}])
    )
    log = UpdateLog(path, cutoff_minutes=10, clock=Clock())
    with caplog.at_level(logging.WARNING, logger="softwareupdate_core.store.updatelog"):
        entries = log.entries()
    assert [(e.target, e.text, e.display_name) for e in entries] == [("a", "fine", "a")]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "entry 0 ignored" in messages[0] and "entry 2 ignored" in messages[1]


def test_a_log_of_the_earlier_format_is_read_and_rewritten_tagged(tmp_path: Path) -> None:
    """An untagged ``{"version": 1, "entries": [...]}`` log is read and kept on the next append."""
    clock = Clock()
    path = tmp_path / "update_log.json"
    log = UpdateLog(path, cutoff_minutes=60, clock=clock)
    old = _entry(log, "old")
    path.write_text(json.dumps({"version": 1, "entries": [old.as_dict()]}))
    assert log.entries() == [old]
    clock.now += 1
    log.append(_entry(log, "new"))
    document = json.loads(path.read_text())
    assert document["format"] == "softwareupdate-core/update-log"
    assert [e["target"] for e in document["data"]] == ["old", "new"]
    assert not list(tmp_path.glob("*.corrupt-*"))


#: A process that waits for the go file, then appends ``count`` entries one by one.
APPENDER = (
    WAIT_FOR_GO
    + """
import datetime as dt, sys, time
from pathlib import Path
from softwareupdate_core.models import UpdateLogEntry
from softwareupdate_core.store.updatelog import UpdateLog

path, prefix, count = sys.argv[3:6]
log = UpdateLog(path, cutoff_minutes=60, clock=time.time)
for i in range(int(count)):
    log.append(UpdateLogEntry(datetime=log.now(), target=f"{prefix}{i:03d}", from_version="1",
                              to_version="2", display_name="x", release_notes=None,
                              success=True, text="ok"))
"""
)


def test_two_processes_appending_keep_every_entry(tmp_path: Path) -> None:
    """Two processes each appending 60 entries to one log keep all 120."""
    path = tmp_path / "update_log.json"
    race(tmp_path, APPENDER, [str(path), "a", "60"], [str(path), "b", "60"])
    entries = UpdateLog(path, cutoff_minutes=60, clock=time.time).entries()
    assert sorted(e.target for e in entries) == sorted(
        f"{prefix}{i:03d}" for prefix in "ab" for i in range(60)
    )
