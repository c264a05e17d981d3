"""A real `softwareupdate update` process killed while its slow update script runs."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from softwareupdate_core.rounds.guards import UpdateLock

SCRIPT = Path(sys.executable).with_name("softwareupdate")

#: Records each start, then waits (up to a minute) for the test's "go" file.
SLOW_UPDATE = """\
import os, sys, time
with open("starts.txt", "a") as handle:
    handle.write(f"{os.getpid()} {os.getpgid(0)}\\n")
deadline = time.monotonic() + 60
while not os.path.exists("go") and time.monotonic() < deadline:
    time.sleep(0.05)
with open("installed.txt", "w") as handle:
    handle.write(sys.argv[1])
"""


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[-1][0] not in "ZX"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; POSIX locks")
def test_a_killed_update_keeps_the_lock_until_its_script_ends_and_is_reported(
    tmp_path: Path,
) -> None:
    """SIGKILL mid-update: no second script starts alongside, and the next run reports it."""
    folder = tmp_path / "component"
    folder.mkdir()
    (folder / "update.py").write_text(SLOW_UPDATE)
    config = tmp_path / "softwareupdate.yaml"
    checks = {
        "component": {
            "type": "never_current",
            "local_version": "1.0.0",
            "remote_version": "1.1.0",
            "method": "update_script",
            "update_script": f"{sys.executable} update.py {{target}}",
            "update_folder": str(folder),
        },
        "octoprint": {"type": "always_current", "current_version": "1.9.0"},
    }
    config.write_text(
        yaml.safe_dump({"checks": checks, "check_overlay_url": None, "minimum_free_storage": 0})
    )
    data = tmp_path / "data"
    command = [str(SCRIPT), "--config", str(config), "--data-folder", str(data), "update"]
    starts = folder / "starts.txt"

    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as first:
        wait_for(starts.exists, "the update script to start")
        first.send_signal(signal.SIGKILL)
        first.wait()
    script_pid, script_group = (int(x) for x in starts.read_text().split())
    assert alive(script_pid)
    assert script_group == script_pid  # its own process group, not the killed command's
    try:
        second = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert second.returncode == 1
        assert "another update run is in progress" in second.stderr
        assert f"process {first.pid} has ended" in second.stderr
        assert len(starts.read_text().splitlines()) == 1  # no second script alongside
        logged = subprocess.run(
            [*command[:-1], "log"], capture_output=True, text=True, timeout=120, check=True
        )
        assert "component (component)  1.0.0 -> 1.1.0  STARTED" in logged.stdout
    finally:
        (folder / "go").touch()
    wait_for(lambda: not alive(script_pid), "the orphaned script to finish")
    wait_for(lambda: UpdateLock(data / "update.lock", wait=0).probe() is None, "the lock")
    assert (folder / "installed.txt").read_text() == "1.1.0"

    third = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert third.returncode == 0, third.stderr
    assert "component: the update started at " in third.stdout
    assert "(1.0.0 -> 1.1.0) was interrupted, outcome unknown" in third.stdout
    logged = subprocess.run(
        [*command[:-1], "log"], capture_output=True, text=True, timeout=120, check=True
    )
    lines = [line for line in logged.stdout.splitlines() if "(component)" in line]
    assert len(lines) == 2
    assert lines[0].endswith("INTERRUPTED  interrupted, outcome unknown")
    assert lines[1].endswith("ok  updated from 1.0.0 to 1.1.0")
