"""Guards of an update round: free space, throttling, Python and pip versions, the run lock."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from softwareupdate_core.config.settings import Settings
from softwareupdate_core.exceptions import UpdateAlreadyInProgress
from softwareupdate_core.rounds.guards import (
    UpdateLock,
    free_space_reason,
    python_reason,
    storage_folders,
    throttled_reason,
)
from softwareupdate_core.updaters.pip import environment_pip_version, pip_reason


def test_free_space_is_enough_when_the_minimum_is_small(tmp_path: Path) -> None:
    """A folder with more than the minimum free passes, also one not created yet."""
    folders = [("plugin folder", tmp_path), ("later", tmp_path / "not" / "yet")]
    assert free_space_reason(folders, 1) is None
    assert free_space_reason(folders, 0) is None


def test_too_little_free_space_names_the_folder_and_the_numbers(tmp_path: Path) -> None:
    """A folder below the minimum refuses with its label, path and the MB free and needed."""
    reason = free_space_reason([("plugin folder", tmp_path)], 10**12)
    assert reason is not None
    assert "plugin folder" in reason and str(tmp_path) in reason
    assert "1000000000000 MB needed" in reason


def test_storage_folders_cover_library_plugin_and_temp_folders(tmp_path: Path) -> None:
    """The library folder and temp folder are always checked, the plugin folder when set."""
    without = storage_folders(Settings())
    assert [label for label, _ in without] == ["Python library folder", "temp folder"]
    assert without[1][1] == Path(tempfile.gettempdir())
    with_plugins = storage_folders(Settings(plugin_folder=str(tmp_path)))
    assert ("plugin folder", tmp_path) in with_plugins


class _Host:
    def __init__(self, throttled: bool) -> None:
        self.throttled = throttled

    def is_throttled(self) -> bool:
        return self.throttled


def test_a_throttled_host_refuses_unless_ignored() -> None:
    """``is_throttled`` refuses updates; ``ignore_throttled`` or a host without it does not."""
    assert "throttled" in (throttled_reason(_Host(True), ignore_throttled=False) or "")
    assert throttled_reason(_Host(True), ignore_throttled=True) is None
    assert throttled_reason(_Host(False), ignore_throttled=False) is None
    assert throttled_reason(object(), ignore_throttled=False) is None


class _BrokenHost:
    def is_throttled(self) -> bool:
        raise ConnectionError("vcgencmd is gone")


def test_a_host_that_cannot_tell_whether_it_is_throttled_refuses_with_the_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``is_throttled`` raising refuses updates, says why, and logs the traceback."""
    reason = throttled_reason(_BrokenHost(), ignore_throttled=False)
    assert reason == "the host could not tell whether it is throttled: vcgencmd is gone"
    assert any(r.exc_info and "is_throttled" in r.getMessage() for r in caplog.records)
    assert throttled_reason(_BrokenHost(), ignore_throttled=True) is None


def test_python_below_the_minimum_refuses() -> None:
    """A Python older than ``minimum_python`` refuses; the running one passes ``3.0``."""
    assert python_reason("3.0") is None
    assert python_reason("3.8", python_version="3.7.2") == (
        "Python 3.7.2 is older than the required minimum 3.8"
    )
    assert python_reason("3.8", python_version="3.12.0") is None


def test_pip_absent_or_below_the_minimum_refuses() -> None:
    """No pip or an older pip than ``minimum_pip`` refuses; a newer one passes."""
    assert "not installed" in (pip_reason("19.0", None) or "")
    assert pip_reason("19.0", "9.0.1") == "pip 9.0.1 is older than the required minimum 19.0"
    assert pip_reason("19.0", "24.0") is None
    assert pip_reason("19.0", "not a version") is not None


def test_the_environment_pip_version_is_the_installed_one() -> None:
    """The pip version comes from the installed distribution of this environment."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.split()[1] == environment_pip_version()


def test_the_lock_writes_the_holder_pid_and_is_reusable(tmp_path: Path) -> None:
    """A held lock file names this process; after release it can be taken again."""
    lock = UpdateLock(tmp_path / "data" / "update.lock")
    with lock:
        assert lock.held
        assert (tmp_path / "data" / "update.lock").read_text().strip() == str(os.getpid())
        assert UpdateLock(lock.path, wait=0).probe() is not None
    assert not lock.held
    assert lock.probe() is None
    with lock:
        pass


def test_a_second_lock_in_the_same_process_is_refused(tmp_path: Path) -> None:
    """Two lock objects on one file exclude each other even inside one process."""
    path = tmp_path / "update.lock"
    with UpdateLock(path), pytest.raises(UpdateAlreadyInProgress, match=str(os.getpid())):
        UpdateLock(path, wait=0.1).acquire()


RACER = """
import sys
from softwareupdate_core.exceptions import UpdateAlreadyInProgress
from softwareupdate_core.rounds.guards import UpdateLock
sys.stdin.readline()  # start together
try:
    lock = UpdateLock(sys.argv[1], wait=0)
    lock.acquire()
except UpdateAlreadyInProgress:
    print("lost", flush=True)
    sys.exit(0)
print("won", flush=True)
sys.stdin.readline()  # hold until told
lock.release()
"""


def _spawn(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _close(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(30)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()


def test_two_processes_racing_for_the_lock_get_exactly_one_winner(tmp_path: Path) -> None:
    """Of two processes taking the lock at once, one wins and the other is refused."""
    path = str(tmp_path / "update.lock")
    racers = [_spawn(RACER, path) for _ in range(2)]
    try:
        for racer in racers:
            assert racer.stdin is not None
            racer.stdin.write("go\n")
            racer.stdin.flush()
        answers = []
        for racer in racers:
            assert racer.stdout is not None
            answers.append(racer.stdout.readline().strip())
        assert sorted(answers) == ["lost", "won"]
        winner = racers[answers.index("won")]
        assert f"process {winner.pid}" in (UpdateLock(path, wait=0).probe() or "")
    finally:
        for racer in racers:
            _close(racer)
    assert UpdateLock(path, wait=0).probe() is None


HOLDER = """
import sys, time
from softwareupdate_core.rounds.guards import UpdateLock
lock = UpdateLock(sys.argv[1])
lock.acquire()
print("locked", flush=True)
time.sleep(600)
"""


def test_a_holder_that_dies_leaves_no_stale_lock(tmp_path: Path) -> None:
    """When the holding process is killed the lock is free again, though the file stays."""
    path = tmp_path / "update.lock"
    holder = _spawn(HOLDER, str(path))
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(UpdateAlreadyInProgress):
            UpdateLock(path, wait=0.1).acquire()
        holder.kill()  # SIGKILL: no chance to clean up
        holder.wait(30)
    finally:
        _close(holder)
    assert path.exists()
    with UpdateLock(path, wait=0):
        pass
