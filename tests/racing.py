"""Run the same script in two real processes that start their work at the same moment."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

#: Put at the top of a racing script: waits for the go signal; argv[1:3] are ready and go files.
WAIT_FOR_GO = """
import sys, time
from pathlib import Path
Path(sys.argv[1]).touch()
_deadline = time.monotonic() + 60
while not Path(sys.argv[2]).exists() and time.monotonic() < _deadline:
    time.sleep(0.002)
"""


def race(tmp_path: Path, script: str, *args_per_process: list[str]) -> None:
    """Start one process per argument list, release them together, and require exit status 0.

    ``script`` should begin with :data:`WAIT_FOR_GO`; its own arguments start at ``argv[3]``.
    """
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{i}" for i in range(len(args_per_process))]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(flag), str(go), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for flag, args in zip(ready, args_per_process)
    ]
    deadline = time.monotonic() + 60
    while not all(flag.exists() for flag in ready) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    for process in processes:
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
