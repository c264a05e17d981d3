"""The update round: order, skipping, failures, events, update log, queue, lock, guards."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Optional

import pytest

from softwareupdate_core import events
from softwareupdate_core.config.effective import Resolved
from softwareupdate_core.exceptions import NetworkError, UpdateAlreadyInProgress, UpdateError
from softwareupdate_core.models import (
    CheckReport,
    RemoteRef,
    TargetStatus,
    VersionInformation,
    VersionRef,
)
from softwareupdate_core.protocols import UpdaterCapabilities
from softwareupdate_core.rounds.check import CheckRunner
from softwareupdate_core.rounds.update import CANCELLED, UpdateRunner
from tests.fakes.updates import (
    Recorder,
    RecordingUpdater,
    RoundPlugin,
    Versions,
    check,
    make_manager,
)

OUTDATED = ("1.0", "2.0")
CURRENT = ("2.0", "2.0")


class Host:
    """A host whose busy/throttled state a test flips."""

    def __init__(self) -> None:
        self.busy = False
        self.throttled = False
        self.busy_polls = 0

    def is_busy(self) -> bool:
        self.busy_polls += 1
        return self.busy

    def is_throttled(self) -> bool:
        return self.throttled


def test_targets_update_host_first_then_pip_then_by_name(tmp_path: Path) -> None:
    """The host target goes first, then the one its method puts first (pip), the rest by name."""
    versions = Versions(zeta=OUTDATED, alpha=OUTDATED, pip=OUTDATED, octoprint=OUTDATED)
    plugin = RoundPlugin(versions)
    # as the pip method declares it: the installer is updated right after the host
    plugin.updater.CAPABILITIES = UpdaterCapabilities(  # type: ignore[attr-defined]
        first=lambda target, check: target == "pip"
    )
    recorder = Recorder()
    checks = {name: check() for name in ("zeta", "alpha", "pip", "octoprint")}
    with make_manager(tmp_path, plugin, checks, events=recorder) as manager:
        report = manager.update()
    assert report.order == ("octoprint", "pip", "alpha", "zeta")
    assert plugin.updater.targets() == ["octoprint", "pip", "alpha", "zeta"]
    assert report.success
    assert all(r.outcome == "updated" for r in report.results.values())
    assert versions.installed == {t: "2.0" for t in checks}
    succeeded = recorder.of(events.UPDATE_SUCCEEDED)
    assert [p["target"] for p in succeeded] == ["octoprint", "pip", "alpha", "zeta"]
    assert succeeded[0] == {"target": "octoprint", "from_version": "1.0", "to_version": "2.0"}
    names = recorder.names()
    assert names.index(events.UPDATE_STARTED) < names.index(events.UPDATE_TARGET_STARTED)
    assert names.index(events.UPDATE_SUCCEEDED) < names.index(events.UPDATE_FINISHED)


def test_host_target_name_is_a_setting(tmp_path: Path) -> None:
    """With ``host_target`` set, that target is updated first instead of ``octoprint``."""
    versions = Versions(aaa=OUTDATED, moonraker=OUTDATED, octoprint=OUTDATED)
    plugin = RoundPlugin(versions)
    checks = {name: check() for name in ("aaa", "moonraker", "octoprint")}
    with make_manager(tmp_path, plugin, checks, host_target="moonraker") as manager:
        report = manager.update()
    assert report.order == ("moonraker", "aaa", "octoprint")


def test_current_targets_are_skipped_unless_forced(tmp_path: Path) -> None:
    """A current target is left alone; ``force=True`` reinstalls it at its version."""
    versions = Versions(done=CURRENT, nolocal=("3.0", None))
    plugin = RoundPlugin(versions)
    checks = {"done": check(), "nolocal": check()}
    with make_manager(tmp_path, plugin, checks) as manager:
        report = manager.update()
        assert report.order == ()
        assert report.results["done"].outcome == "skipped"
        assert "up to date" in report.results["done"].text
        assert plugin.updater.calls == []
        forced = manager.update(force=True)
    assert forced.order == ("done", "nolocal")
    assert plugin.updater.calls == [("done", "2.0", True), ("nolocal", "3.0", True)]


def test_only_named_targets_are_updated(tmp_path: Path) -> None:
    """``update([name])`` leaves the other outdated targets alone."""
    versions = Versions(a=OUTDATED, b=OUTDATED)
    plugin = RoundPlugin(versions)
    with make_manager(tmp_path, plugin, {"a": check(), "b": check()}) as manager:
        report = manager.update(["b"])
    assert plugin.updater.targets() == ["b"]
    assert set(report.results) == {"b"}


def test_unknown_target_fails_and_unupdatable_is_skipped(tmp_path: Path) -> None:
    """A target without a check fails; one whose method cannot update now is skipped."""
    versions = Versions(a=OUTDATED, nomethod=OUTDATED)
    plugin = RoundPlugin(versions)
    plugin.updater.possible = False
    checks = {"a": check(), "nomethod": {"type": "state"}}
    with make_manager(tmp_path, plugin, checks) as manager:
        report = manager.update(["a", "nomethod", "ghost"])
    assert report.results["ghost"].outcome == "failed"
    assert "no check configured" in report.results["ghost"].text
    assert report.results["a"].outcome == "skipped"
    assert "cannot update" in report.results["a"].text
    assert report.results["nomethod"].outcome == "skipped"
    assert "no update method" in report.results["nomethod"].text
    assert not report.success


def test_updater_may_raise_a_network_error_unwrapped(tmp_path: Path) -> None:
    """A NetworkError from an updater fails its target with the message, not a crash."""
    versions = Versions(a=OUTDATED, b=OUTDATED)
    plugin = RoundPlugin(versions)
    plugin.updater.failures["a"] = NetworkError("https://example.org/x.zip: connection failed")
    with make_manager(tmp_path, plugin, {"a": check(), "b": check()}) as manager:
        report = manager.update()
    assert report.results["a"].outcome == "failed"
    assert "connection failed" in report.results["a"].text
    assert report.results["b"].outcome == "updated"


def test_item16_failed_target_does_not_stop_the_round(tmp_path: Path) -> None:
    """issue 9 item 16: every target is attempted; a failure only holds back the restart."""
    versions = Versions(octoprint=OUTDATED, a=OUTDATED, b=OUTDATED)
    plugin = RoundPlugin(versions)
    plugin.updater.failures["a"] = UpdateError("disk on fire")
    recorder = Recorder()
    checks = {"octoprint": check(restart="octoprint"), "a": check(), "b": check()}
    with make_manager(tmp_path, plugin, checks, events=recorder) as manager:
        report = manager.update()
        log = manager.update_log()
    assert plugin.updater.targets() == ["octoprint", "a", "b"]
    assert report.results["a"].outcome == "failed"
    assert "disk on fire" in report.results["a"].text
    assert report.results["b"].outcome == "updated"
    assert versions.installed["b"] == "2.0"
    assert [(e.target, e.success) for e in log] == [("octoprint", True), ("a", False), ("b", True)]
    failed = recorder.of(events.UPDATE_FAILED)
    assert [(p["target"], p["from_version"], p["to_version"]) for p in failed] == [
        ("a", "1.0", "2.0")
    ]
    assert report.restart == "octoprint"
    assert report.restart_outcome == "manual"
    assert recorder.of(events.RESTART_MANUALLY)[0]["reason"] == "the update of a failed"
    assert not report.success


def test_failure_of_an_ignorable_target_lets_the_round_continue(tmp_path: Path) -> None:
    """An ``ignorable`` target's failure is reported and the later targets still update."""
    versions = Versions(a=OUTDATED, b=OUTDATED)
    plugin = RoundPlugin(versions)
    plugin.updater.failures["a"] = RuntimeError("updater bug")
    with make_manager(tmp_path, plugin, {"a": check(ignorable=True), "b": check()}) as manager:
        report = manager.update()
    assert report.results["a"].outcome == "failed"
    assert "RuntimeError: updater bug" in report.results["a"].text
    assert report.results["b"].outcome == "updated"
    assert versions.installed["b"] == "2.0"


def test_updater_output_arrives_as_log_line_events(tmp_path: Path) -> None:
    """Each line an updater logs becomes an update_log_line event with its stream."""
    plugin = RoundPlugin(Versions(a=OUTDATED))
    recorder = Recorder()
    with make_manager(tmp_path, plugin, {"a": check()}, events=recorder) as manager:
        manager.update()
    assert {"target": "a", "stream": "stdout", "line": "installing a 2.0"} in recorder.of(
        events.UPDATE_LOG_LINE
    )


def test_a_failing_event_sink_does_not_break_the_round(tmp_path: Path) -> None:
    """An event sink that raises on update events is logged; the update still happens."""

    def sink(name: str, payload: Mapping[str, Any]) -> None:
        if name.startswith("plugin_softwareupdate_update") or "restart" in name:
            raise RuntimeError("sink broken")

    versions = Versions(a=OUTDATED)
    plugin = RoundPlugin(versions)
    with make_manager(tmp_path, plugin, {"a": check()}, events=sink) as manager:  # type: ignore[arg-type]
        report = manager.update()
    assert report.results["a"].outcome == "updated"
    assert versions.installed["a"] == "2.0"


def test_each_target_is_written_to_the_persisted_update_log(tmp_path: Path) -> None:
    """Successes and failures land in the update log, which a new Manager reads back."""
    versions = Versions(a=OUTDATED, b=OUTDATED)
    plugin = RoundPlugin(versions)
    plugin.updater.failures["b"] = UpdateError("nope")
    checks = {"a": check(displayName="Alpha", notes="https://notes"), "b": check(ignorable=True)}
    with make_manager(tmp_path, plugin, checks) as manager:
        manager.update()
    with make_manager(tmp_path, RoundPlugin(versions), checks) as fresh:
        entries = fresh.update_log()
    assert [(e.target, e.success) for e in entries] == [("a", True), ("b", False)]
    first = entries[0]
    assert (first.from_version, first.to_version) == ("1.0", "2.0")
    assert first.display_name == "Alpha"
    assert first.release_notes == "https://notes"
    assert entries[1].text == "nope"


class StubChecks(CheckRunner):
    """A CheckRunner answering with fixed statuses and recording invalidations."""

    def __init__(
        self,
        ctx: Any,
        statuses: Mapping[str, TargetStatus],
        configs: Mapping[str, Mapping[str, Any]],
    ) -> None:
        super().__init__(ctx)
        self.statuses = statuses
        self.configs = configs
        self.invalidated: list[str] = []
        self.recorded: list[tuple[str, str]] = []

    def check(
        self,
        targets: Optional[Iterable[str]] = None,
        *,
        force: bool = False,
        resolved: Optional[Resolved] = None,
    ) -> CheckReport:
        return CheckReport(targets=dict(self.statuses))

    def resolve(self, *, force: bool = False) -> Resolved:
        return Resolved(self.effective_checks(), {})

    def effective_checks(self) -> dict[str, dict[str, Any]]:
        return {k: dict(v) for k, v in self.configs.items()}

    def invalidate(self, target: str) -> None:
        self.invalidated.append(target)

    def record_current(self, target: str, value: str) -> None:
        self.recorded.append((target, value))


def _status(name: str, **kwargs: Any) -> TargetStatus:
    info = VersionInformation(VersionRef("abc", "abc"), RemoteRef("def", "def"))
    return TargetStatus(name, name, "abc", information=info, update_available=True, **kwargs)


def test_disabled_incompatible_and_failed_checks_are_skipped_and_commits_recorded(
    tmp_path: Path,
) -> None:
    """Disabled and incompatible targets are skipped, a failed check fails its target; a commit
    target records its new ``current`` and every updated target's cache entry is invalidated."""
    plugin = RoundPlugin(Versions())
    with make_manager(tmp_path, plugin, {}) as manager:
        ctx = manager._context
    statuses = {
        "off": _status("off", disabled="switched off"),
        "old": _status("old", compatible=False),
        "broken": TargetStatus("broken", "broken", "", error="network", error_message="timeout"),
        "commits": _status("commits"),
        "plain": _status("plain"),
    }
    configs = {name: check() for name in statuses}
    configs["commits"] = check(type="github_commit")
    stub = StubChecks(ctx, statuses, configs)
    report = UpdateRunner(ctx, stub).update()
    assert report.order == ("commits", "plain")
    assert "switched off" in report.results["off"].text
    assert "not compatible" in report.results["old"].text
    assert "timeout" in report.results["broken"].text
    assert {report.results[n].outcome for n in ("off", "old")} == {"skipped"}
    assert report.results["broken"].outcome == "failed"
    assert not report.success  # a target left out by an error makes the round fail
    assert plugin.updater.calls == [("commits", "def", False), ("plain", "def", False)]
    assert stub.invalidated == ["commits", "plain"]
    assert stub.recorded == [("commits", "def")]


def test_the_runner_registers_its_guard_with_the_check_runner(tmp_path: Path) -> None:
    """The check runner learns why updates cannot run from the update runner's guard."""
    plugin = RoundPlugin(Versions(a=OUTDATED))
    host = Host()
    host.throttled = True
    with make_manager(tmp_path, plugin, {"a": check()}, host=host) as manager:
        guard = manager._checks._guard
        assert guard is not None
        assert "throttled" in (guard() or "")


def test_plan_reports_what_would_happen_without_changing_anything(tmp_path: Path) -> None:
    """A dry run gives the order, planned outcomes and restart, and updates nothing."""
    versions = Versions(b=OUTDATED, a=OUTDATED, c=CURRENT)
    plugin = RoundPlugin(versions)
    checks = {"a": check(restart="environment"), "b": check(), "c": check()}
    with make_manager(tmp_path, plugin, checks) as manager:
        report = manager.plan_update()
        assert manager.update_log() == []
    assert report.order == ("a", "b")
    assert report.results["a"].outcome == "planned"
    assert report.results["c"].outcome == "skipped"
    assert report.restart == "environment"
    assert report.refused is None
    assert plugin.updater.calls == []
    assert versions.installed["a"] == "1.0"


def _run_in_thread(fn: Any) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


def test_a_busy_host_queues_the_round_until_it_is_idle(tmp_path: Path) -> None:
    """While the host is busy nothing is updated; once idle the queued round runs."""
    versions = Versions(a=OUTDATED)
    plugin = RoundPlugin(versions)
    host = Host()
    host.busy = True
    recorder = Recorder()
    with make_manager(
        tmp_path, plugin, {"a": check()}, events=recorder, host=host, busy_poll_interval=0.01
    ) as manager:
        thread, box = _run_in_thread(manager.update)
        assert recorder.wait_for(events.UPDATE_QUEUED)
        assert "in progress" in (manager._updates.blocking_reason() or "")
        assert plugin.updater.calls == []
        host.busy = False
        thread.join(30)
    report = box["result"]
    assert report.queued
    assert report.results["a"].outcome == "updated"
    assert recorder.of(events.UPDATE_QUEUED) == [{"targets": ["a"]}]
    assert host.busy_polls >= 2


def test_cancelling_the_queue_ends_the_waiting_round_unchanged(tmp_path: Path) -> None:
    """``cancel_queue`` makes a waiting round return refused, having updated nothing."""
    versions = Versions(a=OUTDATED)
    plugin = RoundPlugin(versions)
    host = Host()
    host.busy = True
    recorder = Recorder()
    with make_manager(
        tmp_path, plugin, {"a": check()}, events=recorder, host=host, busy_poll_interval=0.05
    ) as manager:
        assert manager.cancel_queued_update() is False
        thread, box = _run_in_thread(manager.update)
        assert recorder.wait_for(events.UPDATE_QUEUED)
        assert manager.cancel_queued_update() is True
        thread.join(30)
        assert manager.cancel_queued_update() is False
        assert manager._updates.blocking_reason() is None
    report = box["result"]
    assert report.refused == CANCELLED
    assert report.queued
    assert plugin.updater.calls == []
    assert recorder.of(events.UPDATE_QUEUE_CANCELLED) == [{"targets": ["a"]}]


def test_a_second_round_in_the_same_process_is_refused_while_one_runs(tmp_path: Path) -> None:
    """Starting a round while another thread's round runs raises UpdateAlreadyInProgress."""
    versions = Versions(a=OUTDATED)
    plugin = RoundPlugin(versions)
    plugin.updater.release = threading.Event()
    with make_manager(tmp_path, plugin, {"a": check()}, lock_wait=0.1) as manager:
        thread, box = _run_in_thread(manager.update)
        assert plugin.updater.entered.wait(30)
        with pytest.raises(UpdateAlreadyInProgress):
            manager.update()
        plugin.updater.release.set()
        thread.join(30)
    assert box["result"].results["a"].outcome == "updated"


HOLDER = """
import sys
from softwareupdate_core.rounds.guards import UpdateLock
with UpdateLock(sys.argv[1]):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_a_round_running_in_another_process_blocks_this_one(tmp_path: Path) -> None:
    """While another process holds the update lock, update() raises and guards report it."""
    versions = Versions(a=OUTDATED)
    plugin = RoundPlugin(versions)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "update.lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "locked"
        with make_manager(tmp_path, plugin, {"a": check()}, lock_wait=0.2) as manager:
            with pytest.raises(UpdateAlreadyInProgress, match=f"process {holder.pid}"):
                manager.update()
            assert f"process {holder.pid}" in (manager._updates.blocking_reason() or "")
            assert plugin.updater.calls == []
            holder.stdin.write("done\n")
            holder.stdin.flush()
            holder.wait(30)
            assert manager._updates.blocking_reason() is None
            report = manager.update()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        for stream in (holder.stdin, holder.stdout):
            if stream is not None:
                stream.close()
    assert report.results["a"].outcome == "updated"


@pytest.mark.parametrize(
    ("settings", "host_throttled", "reason"),
    [
        ({"minimum_free_storage": 10**12}, False, "not enough free space"),
        ({}, True, "throttled"),
        ({"minimum_python": "99.0"}, False, "Python"),
    ],
)
def test_a_failing_guard_refuses_the_round_with_no_work_done(
    tmp_path: Path, settings: dict[str, Any], host_throttled: bool, reason: str
) -> None:
    """Too little space, a throttled host or an old Python refuse the round before any update."""
    versions = Versions(a=OUTDATED)
    plugin = RoundPlugin(versions)
    host = Host()
    host.throttled = host_throttled
    recorder = Recorder()
    with make_manager(
        tmp_path, plugin, {"a": check()}, host=host, events=recorder, **settings
    ) as manager:
        report = manager.update()
        blocking = manager._updates.blocking_reason()
    assert report.refused is not None and reason in report.refused
    assert blocking is not None and reason in blocking
    assert not report.success
    assert plugin.updater.calls == []
    assert events.UPDATE_STARTED not in recorder.names()
    assert versions.installed["a"] == "1.0"


def test_guards_that_hold_let_the_round_run(tmp_path: Path) -> None:
    """Enough space, an old-enough Python and an ignored throttle let the round proceed."""
    versions = Versions(a=OUTDATED)
    plugin = RoundPlugin(versions)
    host = Host()
    host.throttled = True
    with make_manager(
        tmp_path,
        plugin,
        {"a": check()},
        host=host,
        ignore_throttled=True,
        minimum_python="3.0",
        minimum_free_storage=1,
    ) as manager:
        assert manager._updates.blocking_reason() is None
        report = manager.update()
    assert report.refused is None
    assert report.results["a"].outcome == "updated"


def test_an_old_pip_refuses_only_rounds_that_update_with_pip(tmp_path: Path) -> None:
    """A pip below ``minimum_pip`` refuses a round with a pip target, not one without."""
    versions = Versions(a=OUTDATED, viapip=OUTDATED)
    plugin = RoundPlugin(versions)
    checks = {"a": check(), "viapip": {"type": "state", "pip": "viapip=={target_version}"}}
    with make_manager(tmp_path, plugin, checks, minimum_pip="999") as manager:
        refused = manager.update()
        assert refused.refused is not None and "pip" in refused.refused
        assert "999" in (manager._updates.blocking_reason() or "")
        fine = manager.update(["a"])
    assert plugin.updater.calls == [("a", "2.0", False)]
    assert fine.refused is None
    assert fine.results["a"].outcome == "updated"


def test_while_a_guard_holds_check_reports_updates_as_not_possible(tmp_path: Path) -> None:
    """A throttled host makes check() report the available update as not possible, saying why."""
    plugin = RoundPlugin(Versions(a=OUTDATED))
    host = Host()
    host.throttled = True
    with make_manager(tmp_path, plugin, {"a": check()}, host=host) as manager:
        blocked = manager.check(force=True).targets["a"]
        host.throttled = False
        free = manager.check(force=True).targets["a"]
    assert blocked.update_available and not blocked.update_possible
    assert "throttled" in (blocked.not_possible_reason or "")
    assert free.update_possible and free.not_possible_reason is None


def test_a_built_in_update_method_runs_in_the_round(tmp_path: Path) -> None:
    """The round drives a real built-in method (sleep_a_bit) and streams its countdown."""
    plugin = RoundPlugin(Versions(nap=OUTDATED))
    recorder = Recorder()
    checks = {"nap": {"type": "state", "method": "sleep_a_bit", "duration": 0.1}}
    with make_manager(tmp_path, plugin, checks, events=recorder) as manager:
        report = manager.update()
    assert report.results["nap"].outcome == "updated"
    assert report.restart is None
    assert [p["target"] for p in recorder.of(events.UPDATE_LOG_LINE)] != []


class CrashingPossibleUpdater(RecordingUpdater):
    """A third-party updater whose ``can_perform_update`` has a bug for the target ``bad``."""

    def can_perform_update(
        self, target: str, check: Mapping[str, Any], online: bool = True
    ) -> bool:
        if target == "bad":
            raise RuntimeError("plugin bug")
        return True


def test_an_updater_crashing_in_can_perform_update_fails_only_its_target(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A RuntimeError from can_perform_update leaves that target out as failed; others update."""
    versions = Versions(bad=OUTDATED, good=OUTDATED)
    plugin = RoundPlugin(versions, CrashingPossibleUpdater(versions))
    with make_manager(tmp_path, plugin, {"bad": check(), "good": check()}) as manager:
        plan = manager.plan_update()
        report = manager.update()
    for result in (plan.results["bad"], report.results["bad"]):
        assert result.outcome == "failed"
        assert "RuntimeError: plugin bug" in result.text
    assert plan.order == ("good",) and plan.results["good"].outcome == "planned"
    assert report.order == ("good",) and report.results["good"].outcome == "updated"
    assert plugin.updater.targets() == ["good"]
    assert versions.installed == {"bad": "1.0", "good": "2.0"}
    assert any(r.exc_info and "bad" in r.getMessage() for r in caplog.records)


class BrokenHost:
    """A host whose every callback raises, as a host losing its backend connection would."""

    def __init__(self) -> None:
        self.busy_polls = 0

    def is_busy(self) -> bool:
        self.busy_polls += 1
        raise ConnectionError("printer link lost")

    def is_online(self) -> bool:
        raise ConnectionError("no route")


def test_a_host_that_cannot_say_whether_it_is_busy_queues_the_round(tmp_path: Path) -> None:
    """is_busy raising does not escape update() or plan(): the round waits until cancelled."""
    versions = Versions(a=OUTDATED)
    plugin = RoundPlugin(versions)
    host = BrokenHost()
    recorder = Recorder()
    with make_manager(
        tmp_path, plugin, {"a": check()}, events=recorder, host=host, busy_poll_interval=0.01
    ) as manager:
        assert manager.plan_update().queued
        thread, box = _run_in_thread(manager.update)
        assert recorder.wait_for(events.UPDATE_QUEUED)
        assert manager.cancel_queued_update() is True
        thread.join(30)
    assert "error" not in box
    report = box["result"]
    assert report.refused == CANCELLED and report.queued
    assert plugin.updater.calls == []
    assert host.busy_polls >= 2


def test_a_host_whose_is_online_raises_is_assumed_online(tmp_path: Path) -> None:
    """is_online raising is logged and the round runs as online."""

    class OfflineUnknown:
        def is_online(self) -> bool:
            raise ConnectionError("no route")

    versions = Versions(a=OUTDATED)
    plugin = RoundPlugin(versions)
    with make_manager(tmp_path, plugin, {"a": check()}, host=OfflineUnknown()) as manager:
        report = manager.update()
    assert report.results["a"].outcome == "updated"


def test_a_host_whose_is_throttled_raises_refuses_the_round(tmp_path: Path) -> None:
    """is_throttled raising refuses the round with a reason naming the host's error."""

    class ThrottleUnknown:
        def is_throttled(self) -> bool:
            raise ConnectionError("vcgencmd is gone")

    versions = Versions(a=OUTDATED)
    plugin = RoundPlugin(versions)
    with make_manager(tmp_path, plugin, {"a": check()}, host=ThrottleUnknown()) as manager:
        report = manager.update()
        plan = manager.plan_update()
    expected = "the host could not tell whether it is throttled: vcgencmd is gone"
    assert report.refused == expected and plan.refused == expected
    assert plugin.updater.calls == []


# A fake pip: prints its arguments to stdout and stderr, then fails.
NOISY_FAILING_PIP = """\
import sys
print("Collecting", *sys.argv[1:])
print("ERROR: cannot fetch", sys.argv[-1], file=sys.stderr)
sys.exit(1)
"""


def test_url_credentials_never_reach_events_the_update_log_or_the_report(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A pip URL with a token is masked in log lines, the failure reason, the log and the report."""
    caplog.set_level("DEBUG")
    fake_pip = tmp_path / "fake_pip.py"
    fake_pip.write_text(NOISY_FAILING_PIP)
    secret_url = "https://bob:SECRETTOKEN@127.0.0.1:9/p-{target_version}.zip"
    token_url = "https://SECRETTOKEN@127.0.0.1:9/q-{target_version}.zip"
    checks = {
        name: check(
            method="pip",
            pip=f"{name} @ {url}",
            pip_command=[sys.executable, str(fake_pip)],
            ignorable=True,
        )
        for name, url in (("p", secret_url), ("q", token_url))
    }
    versions = Versions(p=OUTDATED, q=OUTDATED)
    recorder = Recorder()
    data = tmp_path / "data"
    with make_manager(data, RoundPlugin(versions), checks, events=recorder) as manager:
        report = manager.update()
        entries = manager.update_log()
    assert [report.results[t].outcome for t in ("p", "q")] == ["failed", "failed"]
    lines = [p["line"] for p in recorder.of(events.UPDATE_LOG_LINE)]
    assert any("https://***@127.0.0.1:9/p-2.0.zip" in line for line in lines)
    assert any("https://***@127.0.0.1:9/q-2.0.zip" in line for line in lines)
    assert "***@127.0.0.1:9/p-2.0.zip" in report.results["p"].text
    assert [e.success for e in entries] == [False, False]
    for where in (
        repr(recorder.events),
        repr(report),
        repr(entries),
        (data / "update_log.json").read_text(),
        caplog.text,
    ):
        assert "SECRETTOKEN" not in where
