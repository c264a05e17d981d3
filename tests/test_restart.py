"""Restart after an update round: which kind, the strongest wins, command, host, manual, failure."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any, Optional

import pytest

from softwareupdate_core import events
from softwareupdate_core.plugins import Registry, make_plugin_manager
from softwareupdate_core.rounds.restart import restart_kind, strongest
from tests.fakes.updates import Recorder, RoundPlugin, Versions, check, make_manager

OUTDATED = ("1.0", "2.0")


@pytest.mark.parametrize(
    ("config", "method", "expected"),
    [
        ({}, "pip", "octoprint"),
        ({}, "update_script", "octoprint"),
        ({}, "single_file_plugin", "octoprint"),
        ({}, "python_updater", None),
        ({}, "sleep_a_bit", None),
        ({"restart": "environment"}, "python_updater", "environment"),
        ({"restart": "octoprint"}, "sleep_a_bit", "octoprint"),
        ({"restart": "none"}, "pip", None),
        ({"restart": "reboot-the-moon"}, "pip", "octoprint"),
    ],
)
def test_restart_kind_of_a_target(
    config: dict[str, Any], method: str, expected: Optional[str]
) -> None:
    """``restart`` wins; else the method's ``restart`` capability (installing methods need a
    host restart, others none)."""
    registry = Registry.build(make_plugin_manager(load_entrypoints=False))
    assert restart_kind(config, registry.updater_capabilities(method).restart) == expected


def test_the_strongest_restart_kind_wins() -> None:
    """``environment`` beats ``octoprint``, which beats no restart."""
    assert strongest([None, "octoprint", "environment", "octoprint"]) == "environment"
    assert strongest([None, "octoprint"]) == "octoprint"
    assert strongest([None, None]) is None
    assert strongest([]) is None


def _command(code: str) -> str:
    return shlex.join([sys.executable, "-c", code])


def _round(
    tmp_path: Path,
    checks: dict[str, dict[str, Any]],
    *,
    host: Optional[object] = None,
    **settings: Any,
) -> tuple[Any, Recorder]:
    versions = Versions(**{name: OUTDATED for name in checks})
    recorder = Recorder()
    with make_manager(
        tmp_path / "data", RoundPlugin(versions), checks, events=recorder, host=host, **settings
    ) as manager:
        return manager.update(), recorder


def test_the_configured_restart_command_runs_after_a_successful_round(tmp_path: Path) -> None:
    """The command of the strongest kind runs (once, without a shell) and the round says so."""
    marker = tmp_path / "restarted"
    commands = {
        "octoprint": _command(f"open({str(tmp_path / 'wrong')!r}, 'w').close()"),
        "environment": _command(f"import sys; open({str(marker)!r}, 'a').write(sys.argv[1] + ';')")
        + " 'a b;c'",
    }
    report, recorder = _round(
        tmp_path,
        {"host": check(restart="octoprint"), "os": check(restart="environment")},
        restart_commands=commands,
    )
    assert report.restart == "environment"
    assert report.restart_outcome == "restarted"
    assert marker.read_text() == "a b;c;"
    assert not (tmp_path / "wrong").exists()
    assert recorder.of(events.RESTARTING) == [{"kind": "environment"}]
    names = recorder.names()
    assert names.index(events.UPDATE_FINISHED) < names.index(events.RESTARTING)


@pytest.mark.parametrize(
    "command",
    [_command("import sys; sys.exit(3)"), "/nonexistent/restart-command", "unbalanced 'quote"],
)
def test_a_failing_restart_command_is_reported_not_raised(tmp_path: Path, command: str) -> None:
    """A restart command that fails, is missing or cannot be split gives restart_failed."""
    report, recorder = _round(
        tmp_path, {"a": check(restart="octoprint")}, restart_commands={"octoprint": command}
    )
    assert report.results["a"].outcome == "updated"
    assert report.restart_outcome == "failed"
    failed = recorder.of(events.RESTART_FAILED)
    assert len(failed) == 1 and failed[0]["kind"] == "octoprint" and failed[0]["reason"]


def test_without_command_or_host_restart_the_restart_is_manual(tmp_path: Path) -> None:
    """No restart command and a host that cannot restart: a restart_manually event."""
    report, recorder = _round(tmp_path, {"a": check(restart="octoprint")})
    assert report.restart_outcome == "manual"
    assert recorder.of(events.RESTART_MANUALLY)[0]["kind"] == "octoprint"
    assert events.RESTARTING not in recorder.names()


class RestartingHost:
    """A host that restarts itself (or fails to)."""

    def __init__(self, error: Optional[BaseException] = None) -> None:
        self.kinds: list[str] = []
        self.error = error

    def restart(self, kind: str) -> None:
        self.kinds.append(kind)
        if self.error is not None:
            raise self.error


def test_a_host_that_restarts_itself_is_asked_to(tmp_path: Path) -> None:
    """Without a command, ``host.restart(kind)`` is called with the round's kind."""
    host = RestartingHost()
    report, _ = _round(tmp_path, {"a": check(restart="environment")}, host=host)
    assert host.kinds == ["environment"]
    assert report.restart_outcome == "restarted"


def test_a_host_restart_that_raises_is_a_failed_restart(tmp_path: Path) -> None:
    """A host whose restart raises gives restart_failed with the reason, not a crash."""
    host = RestartingHost(OSError("systemd says no"))
    report, recorder = _round(tmp_path, {"a": check(restart="octoprint")}, host=host)
    assert report.restart_outcome == "failed"
    assert "systemd says no" in recorder.of(events.RESTART_FAILED)[0]["reason"]


def test_no_restart_when_nothing_needing_one_was_updated(tmp_path: Path) -> None:
    """Targets whose method needs no restart leave the round without restart and events."""
    host = RestartingHost()
    report, recorder = _round(tmp_path, {"a": check()}, host=host)
    assert report.restart is None and report.restart_outcome is None
    assert host.kinds == []
    assert not [n for n in recorder.names() if "restart" in n]
