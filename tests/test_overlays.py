"""Check overlays: applied to existing targets, cached for their TTL, ignored when unusable."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from softwareupdate_core import Manager
from tests.fakes.checks import FakeChecks, FakeClock
from tests.httpserver import FakeServer, Reply

CHECKS = {"a": {"type": "fake", "current": "1.0"}}  # the fake offers remote 1.0


class Offline:
    def is_online(self) -> bool:
        return False


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make(tmp_path: Path, server: FakeServer, clock: FakeClock) -> Iterator[Any]:
    made: list[Manager] = []

    def factory(host: object = None, **settings: Any) -> Manager:
        m = Manager(
            {
                "checks": CHECKS,
                "check_overlay_url": f"{server.url}/overlay.json",
                "check_overlay_ttl": 60,
                **settings,
            },
            data_folder=tmp_path / "data",
            plugins=[FakeChecks()],
            load_entrypoints=False,
            clock=clock,
            host=host,
        )
        made.append(m)
        return m

    yield factory
    for m in made:
        m.close()


def test_overlay_applies_to_existing_targets_only(make: Any, server: FakeServer) -> None:
    """An overlay changes a configured target and never adds a new one."""
    server.route("/overlay.json", {"a": {"remote": "2.0"}, "stranger": {"type": "fake"}})
    m = make()
    assert set(m.effective_checks()) == {"a"}
    assert m.check().targets["a"].remote_version == "2.0"


def test_overlay_is_cached_until_its_ttl_expires(
    make: Any, server: FakeServer, clock: FakeClock
) -> None:
    """The overlay is fetched once per TTL, also across Managers; expired it is fetched again."""
    data = {"a": {"remote": "2.0"}}
    server.route("/overlay.json", lambda _r: Reply.json(data))
    make().check()
    data["a"] = {"remote": "3.0"}
    clock.advance(59 * 60)
    assert make().effective_checks()["a"]["remote"] == "2.0"
    assert len(server.hits("/overlay.json")) == 1
    clock.advance(2 * 60)
    assert make().effective_checks()["a"]["remote"] == "3.0"
    assert len(server.hits("/overlay.json")) == 2


def test_force_refreshes_the_overlay(make: Any, server: FakeServer) -> None:
    """check(force=True) fetches the overlay again even while it is valid."""
    server.route("/overlay.json", {"a": {"remote": "2.0"}})
    m = make()
    m.check()
    m.check(force=True)
    assert len(server.hits("/overlay.json")) == 2


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, "this is not json"),
        Reply.json(["a", "list"]),
        Reply(500, "server error"),
    ],
)
def test_unusable_overlay_is_ignored_with_a_logged_reason(
    make: Any, server: FakeServer, reply: Reply, caplog: pytest.LogCaptureFixture
) -> None:
    """A malformed or failing overlay leaves the configs as they are and logs why."""
    server.route("/overlay.json", reply)
    with caplog.at_level(logging.WARNING):
        report = make().check()
    assert report.targets["a"].remote_version == "1.0"
    assert "check overlays" in caplog.text
    make().check()
    assert len(server.hits("/overlay.json")) == 1  # not retried before the TTL runs out


def test_unreachable_overlay_is_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A connection failure to the overlay URL is logged, and the round goes on."""
    with (
        caplog.at_level(logging.INFO),
        Manager(
            {"checks": CHECKS, "check_overlay_url": "http://127.0.0.1:9/overlay.json"},
            data_folder=tmp_path,
            plugins=[FakeChecks()],
            load_entrypoints=False,
        ) as m,
    ):
        assert m.check().targets["a"].error is None
    assert "check overlays" in caplog.text


def test_offline_host_does_not_fetch_overlays(make: Any, server: FakeServer) -> None:
    """Offline, the overlay is not fetched and not applied."""
    server.route("/overlay.json", {"a": {"remote": "2.0"}})
    assert "remote" not in make(host=Offline()).effective_checks()["a"]
    assert server.hits("/overlay.json") == []
