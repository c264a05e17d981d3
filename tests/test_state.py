"""Per-target state: persisted, laid over the config, robust against a broken file."""

from __future__ import annotations

from pathlib import Path

from softwareupdate_core.state import StateStore, TargetState


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
