"""Effective check configs: merge order, plugin ownership, broken entries; channel helpers."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Optional

import pytest

from softwareupdate_core import Manager
from softwareupdate_core.rounds.check import release_channels_of
from softwareupdate_core.util import fill_placeholders as fill
from tests.fakes.checks import ConfigProvider, FakeChecks, FakeClock
from tests.fakes.github import FakeRelease, mount_github
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
    assert check["repo"] == "overlay"
    assert check["x"] == "plugin"  # a key overlays may not set
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
    ("checks", "plugin", "message", "code"),
    [
        ({"e": {}}, {}, "empty", "unknown_check"),
        ({}, {"e": {"displayName": "no type"}}, "", None),
        ({}, {"e": ["not", "a", "mapping"]}, "list", "config"),
    ],
)
def test_broken_entries_are_reported_not_crashed_on(
    tmp_path: Path,
    checks: dict[str, Any],
    plugin: dict[str, Any],
    message: str,
    code: Optional[str],
) -> None:
    """An empty entry is an unknown_check status, a non-mapping one a config error; a plugin's
    entry without a type is left out of the report (as OctoPrint does)."""
    with make(tmp_path, {**checks, "ok": {"type": "fake"}}, ConfigProvider(plugin)) as m:
        assert "e" not in m.effective_checks()
        report = m.check()
    if code is None:
        assert "e" not in report.targets
        assert report.targets["ok"].error is None
        return
    assert report.targets["e"].error == code
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


BAD_CHANNEL = {"branch": "stable", "commitish": 5}


def test_invalid_plugin_config_fails_its_target_not_the_round(tmp_path: Path) -> None:
    """A plugin config failing validation is that target's error; other targets are checked."""
    plugin = ConfigProvider(
        {
            "bad": {"type": "fake", "stable_branch": BAD_CHANNEL, "prerelease_branches": []},
            "worse": {"type": "fake", "prerelease": "maybe"},
        }
    )
    with make(tmp_path, {"ok": {"type": "fake"}}, plugin) as m:
        assert set(m.effective_checks()) == {"ok"}
        problems = m.config_problems()
        report = m.check()
    assert "checks.bad.stable_branch.commitish" in problems["bad"]
    assert report.targets["bad"].error == "config"
    assert "checks.bad.stable_branch.commitish" in (report.targets["bad"].error_message or "")
    assert "checks.worse.prerelease" in (report.targets["worse"].error_message or "")
    assert report.targets["ok"].error is None


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        ({"stable_branch": BAD_CHANNEL, "prerelease_branches": []}, [("stable", ("stable",))]),
        ({"stable_branch": {"branch": 5}, "prerelease_branches": []}, None),
        ({"stable_branch": "main", "prerelease_branches": []}, None),
        ({"stable_branch": {"branch": "main"}, "prerelease_branches": "rc"}, None),
        (
            {
                "stable_branch": {"branch": "main", "name": 3, "commitish": ["main", 7, None]},
                "prerelease_branches": [None, "rc", {"branch": ["x"]}, {"branch": "rc"}],
            },
            [("main", ("main",)), ("rc", ("rc",))],
        ),
    ],
)
def test_release_channels_of_survives_malformed_channels(
    check: dict[str, Any], expected: Any
) -> None:
    """Malformed channel entries are skipped or repaired instead of raising."""
    channels = release_channels_of(check)
    if expected is None:
        assert channels is None
    else:
        assert channels is not None
        assert [(c.branch, c.commitish) for c in channels.available] == expected
        assert all(c.name == c.branch for c in channels.available)


USER, REPO = "someUser", "somePlugin"


@pytest.mark.parametrize(
    ("global_pages", "own_pages", "pages_read"), [(1, None, 1), (2, None, 2), (1, 2, 2)]
)
def test_global_max_pages_bounds_release_paging(
    tmp_path: Path,
    server: FakeServer,
    global_pages: int,
    own_pages: Any,
    pages_read: int,
) -> None:
    """The max_pages setting reaches release checks lacking their own; a check's own wins."""
    github = mount_github(server)
    rcs = [FakeRelease(f"2.0.0rc{n}", prerelease=True) for n in range(150, 0, -1)]
    github.add_repo(USER, REPO, [*rcs, FakeRelease("1.5.0")])
    own = {} if own_pages is None else {"max_pages": own_pages}
    target = {"type": "github_release", "user": USER, "repo": REPO, "api_url": server.url}
    target["current"] = "1.0.0"
    with make(
        tmp_path, {"t": {**target, **own}, "f": {"type": "fake"}}, max_pages=global_pages
    ) as m:
        checks = m.effective_checks()
        report = m.check()
    assert checks["t"]["max_pages"] == (own_pages or global_pages)
    assert "max_pages" not in checks["f"]  # only release-list checks get it
    assert len(server.hits(f"/repos/{USER}/{REPO}/releases")) == pages_read
    expected = "1.5.0" if pages_read == 2 else None
    assert report.targets["t"].remote_version == expected
