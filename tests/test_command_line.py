"""Tests for the command_line check, running real Python commands without a shell."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import pytest

from softwareupdate_core.exceptions import CannotCheckOffline, CheckError, ConfigurationInvalid
from softwareupdate_core.version_checks import command_line


def script(code: str) -> list[str]:
    """A command running ``code`` in this Python interpreter."""
    return [sys.executable, "-c", code]


def test_exit_zero_reports_update_with_last_two_lines() -> None:
    """Exit status 0 means update available; the last lines name local and remote versions."""
    code = "print('noise'); print('1.0.0'); print('1.1.0'); print(); print('   ')"
    info, is_current = command_line.get_latest("t", {"command": script(code)})
    assert is_current is False
    assert (info.local.name, info.remote.name) == ("1.0.0", "1.1.0")
    assert (info.local.value, info.remote.value) == ("1.0.0", "1.1.0")
    assert info.notes == ()


def test_exit_zero_with_one_line_leaves_local_unknown() -> None:
    """With a single output line only the remote version is known."""
    info, is_current = command_line.get_latest("t", {"command": script("print('2.0')")})
    assert is_current is False
    assert (info.local.name, info.remote.name) == ("unknown", "2.0")


@pytest.mark.parametrize("status", [1, 2, 100])
def test_non_zero_exit_means_current(status: int) -> None:
    """Any positive exit status means no update, and the status is noted."""
    code = f"import sys; print('1.0'); print('1.0'); sys.exit({status})"
    info, is_current = command_line.get_latest("t", {"command": script(code)})
    assert is_current is True
    assert (info.local.name, info.remote.name) == ("1.0", "1.0")
    assert info.notes == (f"command exited with status {status}",)


def test_update_claim_without_output_is_check_error() -> None:
    """Exit status 0 with nothing on stdout cannot name a version: CheckError."""
    with pytest.raises(CheckError, match="printed no version"):
        command_line.get_latest("t", {"command": script("import sys; sys.stderr.write('x')")})


def test_string_command_is_split_without_a_shell(tmp_path: Path) -> None:
    """A string command is split like a shell would, but metacharacters stay inert text."""
    code = "import sys; print(sys.argv[1]); print(sys.argv[2])"
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(code)} 'a b; touch pwned' $HOME"
    info, _ = command_line.get_latest("t", {"command": command})
    assert info.local.name == "a b; touch pwned"
    assert info.remote.name == "$HOME"
    assert not (tmp_path / "pwned").exists()
    assert not Path("pwned").exists()


def test_item09_command_does_not_run_offline_unless_offline_is_set(tmp_path: Path) -> None:
    """issue 9 item 9: offline, the command is not run (CannotCheckOffline) unless offline: true."""
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'a').write('x'); print('1'); print('2')"
    with pytest.raises(CannotCheckOffline, match="offline: true"):
        command_line.get_latest("t", {"command": script(code)}, online=False)
    assert not marker.exists()
    info, _ = command_line.get_latest("t", {"command": script(code)})
    assert marker.read_text() == "x"
    assert info.needs_online is True
    info, _ = command_line.get_latest("t", {"command": script(code), "offline": True}, online=False)
    assert marker.read_text() == "xx"
    assert info.needs_online is False
    assert command_line.OFFLINE_NOTE in info.notes


def test_missing_program_is_check_error(tmp_path: Path) -> None:
    """A command that cannot start gives a CheckError naming the program."""
    missing = str(tmp_path / "no-such-program")
    with pytest.raises(CheckError, match=r"cannot run command .*no-such-program"):
        command_line.get_latest("t", {"command": [missing]})


def test_hanging_command_is_killed_after_timeout() -> None:
    """A command running past ``timeout`` is killed and reported as a CheckError."""
    started = time.monotonic()
    with pytest.raises(CheckError, match="did not finish within 1 seconds"):
        command_line.get_latest(
            "t", {"command": script("import time; time.sleep(60)"), "timeout": 1}
        )
    assert time.monotonic() - started < 30


def test_command_killed_by_signal_is_check_error() -> None:
    """A command that dies from a signal is a failure, not a 'no update' answer."""
    code = "import os, signal; print('1'); os.kill(os.getpid(), signal.SIGKILL)"
    with pytest.raises(CheckError, match="killed by signal 9"):
        command_line.get_latest("t", {"command": script(code)})


@pytest.mark.parametrize(
    ("check", "key"),
    [
        ({}, "command"),
        ({"command": ""}, "command"),
        ({"command": []}, "command"),
        ({"command": "'unbalanced"}, "command"),
        ({"command": {"a": 1}}, "command"),
        ({"command": b"echo"}, "command"),
        ({"command": ["echo", None]}, "command"),
        ({"command": ["echo"], "timeout": -1}, "timeout"),
        ({"command": ["echo"], "timeout": True}, "timeout"),
    ],
)
def test_bad_config_is_configuration_invalid(check: dict[str, object], key: str) -> None:
    """A missing or malformed command or timeout is a ConfigurationInvalid naming the key."""
    with pytest.raises(ConfigurationInvalid, match=rf"checks\.t\.{key}"):
        command_line.get_latest("t", check)
