"""Helpers: commands without a shell, placeholder rendering, atomic writes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from softwareupdate_core.exceptions import ScriptError
from softwareupdate_core.store.documents import atomic_write
from softwareupdate_core.util import render_command, run_command, split_command


def test_render_keeps_a_hostile_value_in_one_argument() -> None:
    """Splitting before substituting means a value with spaces and ; stays one inert argument."""
    args = render_command(
        "{python} script.py --to {target}", {"python": "py", "target": "1;rm -rf ~"}
    )
    assert args == ["py", "script.py", "--to", "1;rm -rf ~"]


def test_split_rejects_an_empty_command() -> None:
    """An empty command is a clear ValueError, not an IndexError later."""
    with pytest.raises(ValueError, match="empty"):
        split_command("   ")


def test_run_command_streams_lines_to_the_log_callback() -> None:
    """Every stdout/stderr line reaches log_cb tagged with its stream; the call line first."""
    seen: list[tuple[str, str]] = []

    def log_cb(lines: list[str], prefix: Any = None, stream: Any = None) -> None:
        seen.extend((stream, line) for line in lines)

    code = "import sys; print('out1'); print('err1', file=sys.stderr); print('out2')"
    result = run_command([sys.executable, "-c", code], log_cb=log_cb)
    assert result.returncode == 0 and result.stdout == "out1\nout2"
    assert seen[0][0] == "call"
    assert ("stdout", "out1") in seen and ("stderr", "err1") in seen and ("stdout", "out2") in seen


def test_failing_command_raises_script_error_with_output() -> None:
    """A non-zero exit becomes ScriptError carrying stdout and stderr."""
    with pytest.raises(ScriptError) as info:
        run_command([sys.executable, "-c", "import sys; print('bad'); sys.exit(3)"])
    assert info.value.returncode == 3 and info.value.stdout == "bad"


def test_command_that_cannot_start_is_a_script_error() -> None:
    """A missing program gives ScriptError(127), not FileNotFoundError."""
    with pytest.raises(ScriptError) as info:
        run_command(["/nonexistent/program"])
    assert info.value.returncode == 127


def test_timeout_kills_the_command() -> None:
    """A command running past its timeout is killed and reported."""
    with pytest.raises(ScriptError) as info:
        run_command([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
    assert info.value.returncode == -9


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    """The target holds the new content and no temp file is left behind."""
    target = tmp_path / "sub" / "state.json"
    atomic_write(target, "old")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(target.parent) == ["state.json"]
