"""Effective check configs: merge order, plugin ownership, broken entries; channel helpers."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from softwareupdate_core import Manager
from softwareupdate_core.checking import fill, release_channels_of
from tests.fakes.checks import ConfigProvider, FakeChecks, FakeClock
from tests.httpserver import FakeServer


def make(tmp_path: Path, checks: dict[str, Any], *plugins: object, **settings: Any) -> Manager:
    settings.setdefault("check_overlay_url", None)
    return Manager(
        {"checks": checks, **settings},
        data_folder=tmp_path / "data",
        plugins=[FakeChecks(), *plugins],
        load_entrypoints=False,
        clock=FakeClock(),
    )


def test_merge_order_plugin_overlay_user_state(tmp_path: Path, server: FakeServer) -> None:
    """Plugin config < overlay < user settings < persisted state, key by key."""
    server.route("/overlay.json", {"p": {"repo": "overlay", "user": "overlay", "x": "overlay"}})
    plugin = ConfigProvider(
        {"p": {"type": "fake", "repo": "plugin", "user": "plugin", "x": "plugin", "current": "1.0"}}
    )
    with make(
        tmp_path, {"p": {"user": "mine"}}, plugin, check_overlay_url=f"{server.url}/overlay.json"
    ) as m:
        m._checks.record_current("p", "1.5")
        check = m.effective_checks()["p"]
    assert check["type"] == "fake"
    assert check["repo"] == "overlay" and check["x"] == "overlay"
    assert check["user"] == "mine"
    assert check["current"] == "1.5"


def test_second_plugin_cannot_take_a_target(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The first plugin providing a target owns it; a second offer is refused and logged."""
    first = ConfigProvider({"t": {"type": "fake", "remote": "first"}})
    second = ConfigProvider({"t": {"type": "fake", "remote": "second"}})
    with caplog.at_level(logging.WARNING), make(tmp_path, {}, first, second) as m:
        assert m.effective_checks()["t"]["remote"] == "first"
    assert "refused" in caplog.text


def test_overrides_of_a_gone_plugin_are_dropped(tmp_path: Path) -> None:
    """User settings without a type for a target no plugin provides are dropped quietly."""
    with make(tmp_path, {"gone": {"displayName": "Old plugin"}, "own": {"type": "fake"}}) as m:
        assert set(m.effective_checks()) == {"own"}
        assert set(m.check().targets) == {"own"}


@pytest.mark.parametrize(
    ("checks", "plugin", "message"),
    [
        ({"e": {}}, {}, "empty"),
        ({}, {"e": {"displayName": "no type"}}, "no 'type'"),
        ({}, {"e": ["not", "a", "mapping"]}, "list"),
    ],
)
def test_broken_entries_are_reported_not_crashed_on(
    tmp_path: Path, checks: dict[str, Any], plugin: dict[str, Any], message: str
) -> None:
    """Empty, typeless or non-mapping entries become unknown_check statuses."""
    with make(tmp_path, {**checks, "ok": {"type": "fake"}}, ConfigProvider(plugin)) as m:
        assert "e" not in m.effective_checks()
        report = m.check()
    assert report.targets["e"].error == "unknown_check"
    assert message in (report.targets["e"].error_message or "")
    assert report.targets["ok"].error is None


def test_release_channels_need_stable_and_prerelease_branches() -> None:
    """Only checks defining both stable_branch and prerelease_branches offer channels."""
    assert release_channels_of({"stable_branch": {"branch": "main"}}) is None
    channels = release_channels_of(
        {
            "stable_branch": {"branch": "main", "name": "Stable"},
            "prerelease_branches": [{"branch": "rc", "commitish": "rc"}],
            "prerelease": True,
            "prerelease_channel": "rc",
        }
    )
    assert channels is not None
    assert channels.current == "rc" and channels.stable == "main"
    assert channels.available[0].commitish == ("main",)
    assert channels.available[1].name == "rc"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{a} and {b}", "1 and {b}"),
        ("{a", "{a"),
        ("{a.real}", "{a.real}"),
    ],
)
def test_fill_leaves_unknown_and_malformed_placeholders(template: str, expected: str) -> None:
    """fill() substitutes known names and leaves anything else as written."""
    assert fill(template, {"a": "1"}) == expected
