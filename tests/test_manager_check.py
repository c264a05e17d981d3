"""Manager.check(): cache, concurrency, errors, stale answers, skip, channels, statuses."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Optional

import pytest

from softwareupdate_core import Manager, events
from softwareupdate_core.exceptions import (
    ApiCheckError,
    CheckError,
    ConfigurationInvalid,
    NetworkError,
    RateLimitCheckError,
    UnknownTarget,
)
from tests.fakes.checks import FakeChecks, FakeClock, FakeUpdater
from tests.httpserver import FakeServer, Reply

CHANNELS = {
    "stable_branch": {"branch": "master", "name": "Stable"},
    "prerelease_branches": [
        {"branch": "rc/maintenance", "name": "Maintenance RCs", "commitish": ["rc/maintenance"]},
        {"branch": "rc/devel", "name": "Devel RCs"},
    ],
}


class Harness:
    """Builds Managers on one data folder with shared fakes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fakes = FakeChecks()
        self.clock = FakeClock()
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.managers: list[Manager] = []

    def manager(
        self,
        checks: Mapping[str, Any],
        *,
        host: Optional[object] = None,
        plugins: tuple[object, ...] = (),
        **settings: Any,
    ) -> Manager:
        m = Manager(
            {"check_overlay_url": None, "checks": dict(checks), **settings},
            data_folder=self.folder,
            plugins=[self.fakes, *plugins],
            load_entrypoints=False,
            clock=self.clock,
            host=host,
            events=lambda name, payload: self.events.append((name, dict(payload))),
        )
        self.managers.append(m)
        return m


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness(tmp_path / "data")
    yield harness
    for m in harness.managers:
        m.close()


def fake(remote: str = "2.0", current: str = "1.0", **extra: Any) -> dict[str, Any]:
    return {"type": "fake", "remote": remote, "current": current, **extra}


# -- cache ---------------------------------------------------------------------------------


def test_second_round_is_answered_from_the_cache(h: Harness) -> None:
    """A second check within cache_ttl does not call the version check again."""
    m = h.manager({"a": fake(), "b": fake("1.0")})
    first = m.check()
    second = m.check()
    assert h.fakes.calls == {"a": 1, "b": 1}
    assert second.as_dict() == first.as_dict()


def test_cache_survives_a_new_manager_on_the_same_folder(h: Harness) -> None:
    """A new Manager on the same data folder reuses the persisted answers."""
    h.manager({"a": fake()}).check()
    report = h.manager({"a": fake()}).check()
    assert h.fakes.calls["a"] == 1
    assert report.targets["a"].remote_version == "2.0"


def test_cache_expires_after_ttl_and_force_bypasses_it(h: Harness) -> None:
    """Entries older than cache_ttl minutes are checked again; force=True always checks."""
    m = h.manager({"a": fake()}, cache_ttl=10)
    m.check()
    h.clock.advance(9 * 60)
    m.check()
    assert h.fakes.calls["a"] == 1
    h.clock.advance(2 * 60)
    m.check()
    assert h.fakes.calls["a"] == 2
    m.check(force=True)
    assert h.fakes.calls["a"] == 3


def test_entry_stamped_in_the_future_is_stale(h: Harness) -> None:
    """After the clock went back, a cache entry from the 'future' is not trusted."""
    m = h.manager({"a": fake()})
    m.check()
    h.clock.advance(-3600)
    m.check()
    assert h.fakes.calls["a"] == 2


def test_changed_config_misses_the_cache(h: Harness) -> None:
    """The cache key is the effective config: a changed config is checked afresh."""
    h.manager({"a": fake("2.0")}).check()
    report = h.manager({"a": fake("3.0")}).check()
    assert h.fakes.calls["a"] == 2
    assert report.targets["a"].remote_version == "3.0"


def test_subset_refreshes_only_its_entries(h: Harness) -> None:
    """check(['a'], force=True) checks only a; b keeps its cached answer and time."""
    m = h.manager({"a": fake(), "b": fake()})
    m.check()
    b_time = m.check().targets["b"].checked_at
    h.clock.advance(60)
    report = m.check(["a"], force=True)
    assert list(report.targets) == ["a"]
    assert h.fakes.calls == {"a": 2, "b": 1}
    after = h.manager({"a": fake(), "b": fake()}).check()
    assert after.targets["b"].checked_at == b_time
    assert after.targets["a"].checked_at != b_time


def test_corrupt_cache_file_is_set_aside_and_rebuilt(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """A cache file that is not JSON is renamed *.corrupt-<ts>, logged, and rebuilt."""
    h.folder.mkdir(parents=True)
    (h.folder / "version_cache.json").write_text("{not json", encoding="utf-8")
    report = h.manager({"a": fake()}).check()
    assert report.targets["a"].error is None
    assert list(h.folder.glob("version_cache.json.corrupt-*"))
    assert "version_cache.json" in caplog.text
    h.manager({"a": fake()}).check()
    assert h.fakes.calls["a"] == 1


def test_warm_round_imports_no_check_module(
    h: Harness, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A round answered from the cache never loads a built-in check module."""
    server.route("/v.json", {"version": "1.2"})
    checks = {"j": {"type": "jsondata", "jsondata": f"{server.url}/v.json", "current": "1.2"}}
    h.manager(checks).check()

    def refuse(self: object) -> None:
        raise AssertionError("a check module was loaded")

    monkeypatch.setattr("softwareupdate_core._lazy.LazyModule.load", refuse)
    report = h.manager(checks).check()
    assert report.targets["j"].error is None
    assert report.targets["j"].remote_version == "1.2"
    assert len(server.hits("/v.json")) == 1


# -- concurrency ---------------------------------------------------------------------------


def test_concurrent_check_calls_share_one_round(h: Harness) -> None:
    """Two check() calls at the same time get one round's report; the check runs once."""
    m = h.manager({"a": fake()})
    h.fakes.gate = threading.Event()
    reports: list[Any] = []
    first = threading.Thread(target=lambda: reports.append(m.check()))
    first.start()
    deadline = time.monotonic() + 10
    while h.fakes.calls["a"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    second = threading.Thread(target=lambda: reports.append(m.check()))
    second.start()
    time.sleep(0.3)  # let the second call join the running round
    h.fakes.gate.set()
    first.join(10)
    second.join(10)
    assert h.fakes.calls["a"] == 1
    assert len(reports) == 2 and reports[0] is reports[1]


def test_per_host_limit_is_observed_by_the_server(h: Harness, server: FakeServer) -> None:
    """With per_host_limit=3 the server never sees more than 3 requests at once."""
    server.latency = 0.05
    checks = {}
    for i in range(12):
        server.route(f"/v{i}.json", {"version": "1.0"})
        checks[f"t{i}"] = {"type": "fake_http", "url": f"{server.url}/v{i}.json"}
    report = h.manager(checks, per_host_limit=3, max_workers=12).check()
    assert all(s.error is None for s in report.targets.values())
    assert len(server.hits()) == 12
    assert 1 <= server.max_in_flight <= 3
    assert server.connections <= 3  # kept-alive connections are reused


def test_identical_requests_in_one_round_are_made_once(h: Harness, server: FakeServer) -> None:
    """Two targets reading the same URL cause one request."""
    server.route("/same.json", {"version": "2.0"})
    url = f"{server.url}/same.json"
    report = h.manager(
        {"x": {"type": "fake_http", "url": url}, "y": {"type": "fake_http", "url": url}}
    ).check()
    assert {s.remote_version for s in report.targets.values()} == {"2.0"}
    assert len(server.hits("/same.json")) == 1


# -- errors, offline, stale ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (NetworkError("down"), "network"),
        (ApiCheckError("HTTP 500", status=500), "api"),
        (RateLimitCheckError("exhausted"), "ratelimit"),
        (CheckError("bad data"), "check"),
        (RuntimeError("plugin bug"), "unknown"),
    ],
)
def test_failing_target_reports_its_error_code(h: Harness, failure: Exception, code: str) -> None:
    """A failing check sets the target's error code; other targets are unaffected."""
    h.fakes.failures["bad"] = failure
    report = h.manager({"bad": fake(), "good": fake()}).check()
    assert report.targets["bad"].error == code
    assert str(failure) in (report.targets["bad"].error_message or "")
    assert report.targets["bad"].information is None
    assert report.targets["good"].error is None and report.targets["good"].update_available


def test_unknown_type_and_unconfigured_target_are_unknown_check(h: Harness) -> None:
    """An unknown check type and a target without a check both report unknown_check."""
    report = h.manager({"odd": {"type": "no_such_type"}}).check(["odd", "missing"])
    assert report.targets["odd"].error == "unknown_check"
    assert "no_such_type" in (report.targets["odd"].error_message or "")
    assert report.targets["missing"].error == "unknown_check"


def test_stale_answer_is_shown_while_the_check_fails(h: Harness) -> None:
    """After a failure the last good answer is shown, marked stale, until stale_limit."""
    m = h.manager({"a": fake()}, cache_ttl=60, stale_limit=600)
    good_time = m.check().targets["a"].checked_at
    h.clock.advance(2 * 3600)
    h.fakes.failures["a"] = NetworkError("unreachable")
    status = m.check().targets["a"]
    assert status.stale and status.error == "network"
    assert status.remote_version == "2.0" and status.update_available
    assert status.checked_at == good_time
    h.clock.advance(9 * 3600)
    status = m.check().targets["a"]
    assert not status.stale and status.information is None and status.error == "network"


class OfflineHost:
    def is_online(self) -> bool:
        return False


def test_offline_host_reports_network_with_the_stale_answer(h: Harness, server: FakeServer) -> None:
    """Offline, a network check reports 'network' (not a crash) and shows the last answer."""
    server.route("/v.json", {"version": "3.0"})
    checks = {"j": {"type": "jsondata", "jsondata": f"{server.url}/v.json", "current": "2.0"}}
    h.manager(checks).check()
    report = h.manager(checks, host=OfflineHost()).check(force=True)
    status = report.targets["j"]
    assert report.online is False and status.online is False
    assert status.error == "network" and status.stale and status.remote_version == "3.0"
    assert len(server.hits("/v.json")) == 1


# -- skip, channels, current ---------------------------------------------------------------


def test_skip_hides_a_version_until_a_newer_one_appears(h: Harness) -> None:
    """A skipped version is not offered (also for a new Manager); a newer one clears the skip."""
    m = h.manager({"a": fake("2.0")})
    m.skip("a", "2.0")
    status = m.check().targets["a"]
    assert not status.update_available and status.skipped_version == "2.0"
    assert not h.manager({"a": fake("2.0")}).check().targets["a"].update_available
    newer = h.manager({"a": fake("2.1")})
    assert newer.check().targets["a"].update_available
    assert h.manager({"a": fake("2.0")}).check().targets["a"].update_available


def test_unskip_shows_the_version_again(h: Harness) -> None:
    """unskip() makes the skipped version available again."""
    m = h.manager({"a": fake("2.0")})
    m.skip("a", "2.0")
    m.unskip("a")
    assert m.check().targets["a"].update_available


def test_release_channels_switch_and_persist(h: Harness) -> None:
    """set_release_channel persists prerelease settings and invalidates the cached answer."""
    m = h.manager({"a": fake(**CHANNELS)})
    channels = m.release_channels("a")
    assert [c.branch for c in channels.available] == ["master", "rc/maintenance", "rc/devel"]
    assert channels.current == channels.stable == "master"
    m.check()
    m.set_release_channel("a", "rc/maintenance")
    effective = h.manager({"a": fake(**CHANNELS)}).effective_checks()["a"]
    assert effective["prerelease"] is True
    assert effective["prerelease_channel"] == "rc/maintenance"
    status = m.check().targets["a"]
    assert h.fakes.calls["a"] == 2
    assert status.release_channels is not None
    assert status.release_channels.current == "rc/maintenance"
    m.set_release_channel("a", "master")
    assert m.effective_checks()["a"]["prerelease"] is False
    assert "prerelease_channel" not in m.effective_checks()["a"]


def test_release_channel_refusals(h: Harness) -> None:
    """Unknown channels, targets without channels and unknown targets are clear errors."""
    m = h.manager({"a": fake(**CHANNELS), "plain": fake()})
    with pytest.raises(ConfigurationInvalid, match="unknown release channel 'rc/nope'"):
        m.set_release_channel("a", "rc/nope")
    with pytest.raises(ConfigurationInvalid, match="no release channels"):
        m.set_release_channel("plain", "master")
    with pytest.raises(UnknownTarget, match="ghost"):
        m.release_channels("ghost")


def test_item06_commit_check_without_current_offers_the_newest_commit(
    h: Harness, server: FakeServer
) -> None:
    """issue 9 item 6: no `current` means update available; after an update it is recorded."""
    head = {"hash": "a" * 40}
    server.route("/2.0/repositories/u/r/commit/master", lambda _r: Reply.json(head))
    # shaped like OctoPrint-Bitbucket plugins' get_update_information(): no current
    checks = {
        "bb": {"type": "bitbucket_commit", "user": "u", "repo": "r", "api_url": f"{server.url}/2.0"}
    }
    m = h.manager(checks)
    status = m.check().targets["bb"]
    assert status.error is None and status.update_available
    assert (status.local_version, status.remote_version) == ("unknown", "a" * 40)
    assert "current" not in m.effective_checks()["bb"]
    m._checks.record_current("bb", "a" * 40)  # what the update round calls after success
    assert not m.check().targets["bb"].update_available
    head["hash"] = "b" * 40
    status = h.manager(checks).check(force=True).targets["bb"]
    assert status.update_available and status.local_version == "a" * 40


# -- statuses ------------------------------------------------------------------------------


class GuardedHost:
    def version_placeholders(self) -> Mapping[str, str]:
        return {"octoprint_version": "1.9.3"}


def test_update_possible_needs_an_able_updater_and_no_guard(h: Harness) -> None:
    """update_possible needs an updater that can update and no guard reason."""
    updater = FakeUpdater(can=True)
    m = h.manager({"a": fake(method="fake_method"), "b": fake()}, plugins=(updater,))
    report = m.check()
    assert report.targets["a"].update_possible and report.status == "updatePossible"
    assert not report.targets["b"].update_possible
    assert "no update method" in (report.targets["b"].not_possible_reason or "")
    m._checks.set_guard(lambda resolved: "the printer is printing")
    status = m.check().targets["a"]
    assert not status.update_possible
    assert status.not_possible_reason == "the printer is printing"
    m._checks.set_guard(lambda: None)
    updater.can = False
    assert not m.check().targets["a"].update_possible


def test_display_placeholders_and_release_notes(h: Harness) -> None:
    """Display name/version fill host and local placeholders; release notes fill the target."""
    checks = {
        "a": fake(
            displayName="Core {octoprint_version}",
            displayVersion="v{local_name} ({local_value})",
            release_notes="https://example.invalid/notes/{target_version}?n={target_name}",
        ),
        "b": fake(remote_notes="https://example.invalid/b"),
    }
    report = h.manager(checks, host=GuardedHost()).check()
    a = report.targets["a"]
    assert a.display_name == "Core 1.9.3"
    assert a.display_version == "v1.0 (1.0)"
    assert a.release_notes == "https://example.invalid/notes/2.0?n=2.0"
    assert report.targets["b"].release_notes == "https://example.invalid/b"
    assert report.targets["b"].display_version == "1.0"


def test_as_dict_has_octoprints_check_api_shape(h: Harness) -> None:
    """as_dict() gives status, online and per-target OctoPrint keys."""
    data = h.manager({"a": fake(**CHANNELS)}).check().as_dict()
    assert data["status"] == "updateAvailable" and data["online"] is True
    entry = data["information"]["a"]
    for key in (
        "updateAvailable",
        "updatePossible",
        "information",
        "displayName",
        "displayVersion",
        "releaseNotes",
        "online",
        "error",
        "disabled",
        "compatible",
        "releaseChannels",
    ):
        assert key in entry
    assert entry["information"]["remote"]["value"] == "2.0"
    assert entry["releaseChannels"]["stable"] == "master"


def test_round_emits_started_progress_and_finished(h: Harness) -> None:
    """A round emits CHECK_STARTED, one CHECK_PROGRESS per target and CHECK_FINISHED."""
    h.manager({"a": fake(), "b": fake("1.0")}).check()
    names = [name for name, _ in h.events]
    assert names[0] == events.CHECK_STARTED and names[-1] == events.CHECK_FINISHED
    assert names.count(events.CHECK_PROGRESS) == 2
    assert h.events[-1][1] == {"targets": ["a", "b"], "update_available": True}


def test_checkers_get_only_keywords_they_accept(h: Harness) -> None:
    """A checker with **kwargs gets http, credentials, the memo and data folder; a legacy
    signature gets none of them."""
    report = h.manager({"new": fake(), "old": {"type": "legacy"}}).check()
    assert report.targets["old"].error is None and report.targets["old"].update_available
    assert set(h.fakes.kwargs["new"]) == {"http", "memo", "data_folder", "parsed"}
    assert h.fakes.kwargs["old"] == {"online": True}


def test_global_pip_command_and_plugin_folder_fill_checks(h: Harness) -> None:
    """pip_command and plugin_folder settings fill checks that lack their own."""
    m = h.manager(
        {"a": fake(), "b": fake(pip_command="/own/pip", plugin_folder="/own")},
        pip_command="/global/pip",
        plugin_folder="/global/plugins",
    )
    checks = m.effective_checks()
    assert checks["a"]["pip_command"] == "/global/pip"
    assert checks["a"]["plugin_folder"] == "/global/plugins"
    assert checks["b"]["pip_command"] == "/own/pip" and checks["b"]["plugin_folder"] == "/own"
