"""Per-target state: persisted, laid over the config, robust against a broken file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from softwareupdate_core import Manager
from softwareupdate_core.exceptions import SoftwareUpdateError
from softwareupdate_core.store.documents import locked_file
from softwareupdate_core.store.state import StateStore, TargetState
from tests.racing import WAIT_FOR_GO, race

#: A process that configures ``count`` targets named ``<prefix>NNN``, waits for the go file
#: (so both processes write at the same time) and skips a version of each.
SKIPPER = (
    WAIT_FOR_GO
    + """
import sys, time
from pathlib import Path
from softwareupdate_core import Manager

folder, prefix, count = sys.argv[3:6]
names = [f"{prefix}{i:03d}" for i in range(int(count))]
checks = {name: {"type": "never_current"} for name in names}
with Manager({"checks": checks}, data_folder=folder, load_entrypoints=False) as manager:
    for name in names:
        manager.skip(name, "1.0.1")
"""
)


def test_state_applies_current_and_channel_over_the_config() -> None:
    """A persisted current and channel choice override the config's values."""
    check = {"type": "github_release", "current": "1.0", "prerelease_channel": "rc"}
    assert TargetState(current="2.0").apply(check)["current"] == "2.0"
    chosen = TargetState(prerelease=True, prerelease_channel="devel").apply(check)
    assert chosen["prerelease"] is True and chosen["prerelease_channel"] == "devel"
    stable = TargetState(prerelease=False).apply(check)
    assert stable["prerelease"] is False and "prerelease_channel" not in stable
    assert TargetState().apply(check) == check


def test_state_persists_and_clears(tmp_path: Path) -> None:
    """Updates are written at once; clearing every field removes the target."""
    store = StateStore(tmp_path / "state.json")
    store.update("a", current="abc", skipped_version="2.0")
    assert StateStore(tmp_path / "state.json").get("a") == TargetState(
        current="abc", skipped_version="2.0"
    )
    store.update("a", current=None, skipped_version=None)
    assert StateStore(tmp_path / "state.json").all() == {}


def test_other_stores_changes_are_seen(tmp_path: Path) -> None:
    """A store re-reads the file when another writer changed it."""
    one, two = StateStore(tmp_path / "s.json"), StateStore(tmp_path / "s.json")
    assert one.get("a") == TargetState()
    two.update("a", skipped_version="3.0")
    assert one.get("a").skipped_version == "3.0"


def test_corrupt_state_file_is_set_aside(tmp_path: Path) -> None:
    """A broken state file is moved aside and the state starts empty."""
    path = tmp_path / "state.json"
    path.write_text("garbage", encoding="utf-8")
    store = StateStore(path, clock=lambda: 42.0)
    assert store.all() == {}
    assert (tmp_path / "state.json.corrupt-42").exists()
    store.update("a", current="x")
    assert StateStore(path).get("a").current == "x"


def test_two_processes_skipping_keep_every_skip(tmp_path: Path) -> None:
    """Two processes each skipping 100 targets in one data folder keep all 200 skips."""
    folder = tmp_path / "data"
    race(tmp_path, SKIPPER, [str(folder), "a", "100"], [str(folder), "b", "100"])
    skipped = StateStore(folder / "state.json").all()
    assert len(skipped) == 200
    assert {s.skipped_version for s in skipped.values()} == {"1.0.1"}


def test_two_managers_in_one_process_keep_each_others_state(tmp_path: Path) -> None:
    """Two Managers on one data folder, writing in turns, do not erase each other's state."""
    settings = {"checks": {"a": {"type": "never_current"}, "b": {"type": "never_current"}}}
    with (
        Manager(settings, data_folder=tmp_path, load_entrypoints=False) as one,
        Manager(settings, data_folder=tmp_path, load_entrypoints=False) as two,
    ):
        for index in range(20):
            one.skip("a", f"1.{index}")
            two.skip("b", f"2.{index}")
    assert {t: s.skipped_version for t, s in StateStore(tmp_path / "state.json").all().items()} == {
        "a": "1.19",
        "b": "2.19",
    }


def test_a_state_file_locked_too_long_gives_a_clear_error(tmp_path: Path) -> None:
    """Waiting past the timeout for another holder's lock raises SoftwareUpdateError naming it."""
    path = tmp_path / "state.json"
    started = time.monotonic()
    with locked_file(path):
        waiting = locked_file(path, timeout=0.2)
        with pytest.raises(SoftwareUpdateError, match=r"state\.json"):
            waiting.__enter__()
    assert time.monotonic() - started < 30
    with locked_file(path, timeout=0.2):  # released again
        assert (tmp_path / "state.json.lock").exists()
