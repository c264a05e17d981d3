"""Run the real ``softwareupdate`` command in a child process and measure its peak memory.

For tests about bounds (memory that must stay small, a run that must end) and about what the
process writes to its real stdout/stderr (logging, ``--debug``): the child gets an address
space limit so a regression fails the test instead of exhausting the machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import attrs

# Runs the command in-process in the child, then reports the peak RSS on file descriptor 3's
# stand-in (a file named by an environment variable) so stdout stays the command's own.
_CHILD = """\
import os, resource, sys
limit = int(os.environ["SU_TEST_AS_LIMIT"])
if limit:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from softwareupdate_core.cli import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
finally:
    with open(os.environ["SU_TEST_RSS_FILE"], "w") as handle:
        handle.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
sys.exit(code)
"""


@attrs.frozen
class ChildResult:
    """Exit status, both output streams and the peak resident memory of the child, in MiB."""

    returncode: int
    stdout: str
    stderr: str
    peak_rss_mib: float


def run_cli(
    *args: str,
    cwd: Path,
    address_space_mib: int = 1024,
    timeout: float = 120,
    env: Optional[dict[str, str]] = None,
) -> ChildResult:
    """Run ``softwareupdate ARGS`` in a child limited to ``address_space_mib`` of memory."""
    rss_file = cwd / ".peak-rss"
    child_env = {
        **os.environ,
        **(env or {}),
        "SU_TEST_AS_LIMIT": str(address_space_mib * 1024 * 1024),
        "SU_TEST_RSS_FILE": str(rss_file),
        "PYTHONWARNINGS": "ignore",
    }
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        cwd=cwd,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    peak_kib = int(rss_file.read_text() or 0) if rss_file.exists() else 0
    rss_file.unlink(missing_ok=True)
    return ChildResult(done.returncode, done.stdout, done.stderr, peak_kib / 1024)
