"""The version cache file and the persistent HTTP validator store."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from softwareupdate_core import Manager
from softwareupdate_core.http import StoredAnswer
from softwareupdate_core.http.conditional import PersistentValidatorStore
from softwareupdate_core.models import RemoteRef, VersionInformation, VersionRef
from softwareupdate_core.store.version_cache import (
    CacheEntry,
    VersionCache,
    config_hash,
)
from tests.fakes.checks import FakeChecks, FakeClock
from tests.httpserver import FakeServer, Reply
from tests.racing import WAIT_FOR_GO, race


def entry(remote: str = "2.0", stored_at: float = 1000.0, digest: str = "h") -> CacheEntry:
    info = VersionInformation(
        VersionRef("1.0", "1.0"), RemoteRef(remote, remote, "notes"), notes=("from a mirror",)
    )
    return CacheEntry(digest, True, stored_at, info, False)


def test_entries_round_trip_through_the_file(tmp_path: Path) -> None:
    """What one cache writes, a new cache on the same file reads back unchanged."""
    first = VersionCache(tmp_path / "c.json")
    first.put("a", entry())
    first.flush()
    assert VersionCache(tmp_path / "c.json").get("a") == entry()


def test_two_writers_keep_each_others_targets(tmp_path: Path) -> None:
    """Flushing merges with the file, so writers of different targets do not erase each other."""
    one, two = VersionCache(tmp_path / "c.json"), VersionCache(tmp_path / "c.json")
    one.put("a", entry("2.0"))
    two.put("b", entry("3.0"))
    one.flush()
    two.flush()
    fresh = VersionCache(tmp_path / "c.json")
    assert fresh.get("a") == entry("2.0") and fresh.get("b") == entry("3.0")


#: A process that waits for the go file, then stores and flushes ``count`` entries one by one.
CACHE_WRITER = (
    WAIT_FOR_GO
    + """
import sys, time
from pathlib import Path
from softwareupdate_core.store.version_cache import CacheEntry, VersionCache
from softwareupdate_core.models import RemoteRef, VersionInformation, VersionRef

path, prefix, count = sys.argv[3:6]
cache = VersionCache(Path(path))
for i in range(int(count)):
    info = VersionInformation(VersionRef("1", "1"), RemoteRef("2", "2", None))
    cache.put(f"{prefix}{i:03d}", CacheEntry("h", True, 1000.0, info, False))
    cache.flush()
"""
)


def test_two_processes_flushing_keep_every_entry(tmp_path: Path) -> None:
    """Two processes each flushing 100 new targets into one cache file keep all 200."""
    path = tmp_path / "c.json"
    race(tmp_path, CACHE_WRITER, [str(path), "a", "100"], [str(path), "b", "100"])
    entries = VersionCache(path).entries()
    assert len(entries) == 200
    assert {e.information.remote.name for e in entries.values()} == {"2"}


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe not text",
        b"[1, 2, 3]",
        json.dumps({"format": "someone-else", "version": 1, "data": {}}).encode(),
        json.dumps(
            {"format": "softwareupdate-core/version-cache", "version": 99, "data": {}}
        ).encode(),
    ],
)
def test_corrupt_or_foreign_file_is_set_aside(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """An unreadable or foreign cache file is moved aside with a warning and rebuilt."""
    path = tmp_path / "c.json"
    path.write_bytes(content)
    cache = VersionCache(path, clock=lambda: 1234.0)
    with caplog.at_level(logging.WARNING):
        assert cache.get("a") is None
    assert (tmp_path / "c.json.corrupt-1234").read_bytes() == content
    assert "moved it to" in caplog.text
    cache.put("a", entry())
    cache.flush()
    assert VersionCache(path).get("a") == entry()


def test_malformed_entry_is_dropped_others_kept(tmp_path: Path) -> None:
    """One malformed entry is dropped; the others survive."""
    path = tmp_path / "c.json"
    path.write_text(
        json.dumps(
            {
                "format": "softwareupdate-core/version-cache",
                "version": 1,
                "data": {"good": entry().as_dict(), "bad": {"config_hash": "x"}},
            }
        )
    )
    cache = VersionCache(path)
    assert cache.get("good") == entry() and cache.get("bad") is None


@pytest.mark.parametrize(
    ("now", "digest", "online", "fresh"),
    [
        (1000.0 + 59, "h", True, True),
        (1000.0 + 61, "h", True, False),
        (1000.0 - 1, "h", True, False),
        (1000.0 + 1, "other", True, False),
        (1000.0 + 1, "h", False, False),
    ],
)
def test_freshness_rules(now: float, digest: str, online: bool, fresh: bool) -> None:
    """An entry is fresh for the same config and online state, within the TTL, not from later."""
    assert entry().fresh(digest, online, now, ttl_seconds=60) is fresh


def test_config_hash_is_stable_for_callables_and_key_order() -> None:
    """The cache key ignores key order and names callables by qualified name."""
    assert config_hash({"a": 1, "b": 2}) == config_hash({"b": 2, "a": 1})
    assert config_hash({"f": test_freshness_rules}) == config_hash({"f": test_freshness_rules})
    assert config_hash({"a": 1}) != config_hash({"a": 2})


def answer(url: str, at: float, size: int = 10) -> StoredAnswer:
    return StoredAnswer(url, 200, b"x" * size, {"ETag": '"e"'}, etag='"e"', stored_at=at)


def test_validator_store_is_bounded_oldest_first(tmp_path: Path) -> None:
    """Beyond max_entries (or max_bytes) the oldest answers are dropped."""
    store = PersistentValidatorStore(tmp_path / "v.json", max_entries=3, max_bytes=10_000)
    for i in range(5):
        store.put_answer(answer(f"http://h/{i}", at=float(i)))
    store.flush()
    reread = PersistentValidatorStore(tmp_path / "v.json", max_entries=3)
    assert [reread.get_answer(f"http://h/{i}") is not None for i in range(5)] == [
        False,
        False,
        True,
        True,
        True,
    ]
    small = PersistentValidatorStore(tmp_path / "w.json", max_bytes=25)
    for i in range(3):
        small.put_answer(answer(f"http://h/{i}", at=float(i)))
    small.flush()
    assert len(PersistentValidatorStore(tmp_path / "w.json")) == 2


def test_etags_persist_across_managers(tmp_path: Path, server: FakeServer) -> None:
    """A new Manager sends the stored ETag after the version cache expired and gets a 304."""

    def handler(request: object) -> Reply:
        if request.header("If-None-Match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply.json({"version": "1.0"}, headers={"ETag": '"v1"'})

    server.route("/v.json", handler)
    clock = FakeClock()
    checks = {"j": {"type": "fake_http", "url": f"{server.url}/v.json", "current": "1.0"}}

    def manager() -> Manager:
        return Manager(
            {"checks": checks, "check_overlay_url": None, "cache_ttl": 1},
            data_folder=tmp_path,
            plugins=[FakeChecks()],
            load_entrypoints=False,
            clock=clock,
        )

    with manager() as m:
        m.check()
    clock.advance(120)
    with manager() as m:
        report = m.check()
        assert m.http.stats.not_modified == 1
    assert report.targets["j"].remote_version == "1.0"
    assert [r.header("If-None-Match") for r in server.hits("/v.json")] == [None, '"v1"']
