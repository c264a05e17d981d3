"""The ``update_script`` update method with real git repositories and small Python scripts."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from softwareupdate_core.exceptions import (
    CannotUpdateOffline,
    ConfigurationInvalid,
    ScriptError,
    UpdateError,
)
from softwareupdate_core.updaters import update_script
from tests.configcheck import validated

HOSTILE_VERSIONS = [
    "1.0 --index-url http://x",
    "1.0;rm -rf ~",
    "$(id)",
    "../../x",
    "-rf",
    "v1\r\n",
    "a>b",
    "'quoted'",
]

# Appends {"name", "argv", "cwd"} to the JSON-lines file named by its first argument, prints
# a line to stdout and one to stderr, and exits with the code given as its third argument.
RECORD = """\
import json, os, sys
log, name, code = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(log, "a") as f:
    f.write(json.dumps({"name": name, "argv": sys.argv[4:], "cwd": os.getcwd()}) + "\\n")
print(f"{name} says hello")
print(f"{name} complains", file=sys.stderr)
sys.exit(code)
"""

# Checks out the tag given as its argument in the current git repository.
CHECKOUT = """\
import subprocess, sys
target = sys.argv[1]
subprocess.run(["git", "checkout", "-q", target], check=True)
print(f"checked out {target}")
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with tags v1.0 and v2.0, checked out at v1.0."""
    folder = tmp_path / "my checkout"
    folder.mkdir()
    git(folder, "init", "-q", "-b", "main")
    for version in ("1.0", "2.0"):
        (folder / "VERSION").write_text(version + "\n")
        git(folder, "add", "VERSION")
        git(folder, "commit", "-q", "-m", f"release {version}")
        git(folder, "tag", f"v{version}")
    git(folder, "checkout", "-q", "v1.0")
    return folder


@pytest.fixture
def scripts(tmp_path: Path) -> Path:
    folder = tmp_path / "scripts"
    folder.mkdir()
    (folder / "record.py").write_text(RECORD)
    (folder / "checkout.py").write_text(CHECKOUT)
    return folder


class Log:
    """Collects what the updater passes to ``log_cb``."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []

    def __call__(self, lines: list[str], prefix: Any = None, stream: str = "message") -> None:
        self.entries.extend((stream, line) for line in lines)

    def stream(self, name: str) -> list[str]:
        return [line for stream, line in self.entries if stream == name]


def record(scripts: Path, name: str, code: int = 0, args: str = "") -> str:
    """A command string running record.py for phase ``name``."""
    log = scripts / "calls.jsonl"
    return f"{{python}} '{scripts / 'record.py'}' '{log}' {name} {code} {args}".strip()


def calls(scripts: Path) -> list[dict[str, Any]]:
    log = scripts / "calls.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_update_script_checks_out_the_target_tag(repo: Path, scripts: Path) -> None:
    """The script runs in the update folder with {target} filled in and moves the checkout."""
    check = {
        "update_script": f"{{python}} '{scripts / 'checkout.py'}' v{{target}}",
        "update_folder": str(repo),
    }
    assert update_script.can_perform_update("demo", check)
    log = Log()
    update_script.perform_update("demo", check, "2.0", log_cb=log)
    assert git(repo, "describe", "--tags") == "v2.0"
    assert (repo / "VERSION").read_text() == "2.0\n"
    assert log.stream("stdout") == ["checked out v2.0"]
    assert len(log.stream("call")) == 1


def test_placeholders_stay_single_arguments(repo: Path, scripts: Path) -> None:
    """{target}, {branch}, {folder}, {python} and {force} each arrive as exactly one argument."""
    check = {
        "update_script": record(
            scripts, "update", 0, "{target} {branch} {folder} {python} {force}"
        ),
        "checkout_folder": str(repo),
        "branch": "rc/devel",
    }
    update_script.perform_update("demo", check, "1!2.0+local.7", force=True)
    assert calls(scripts) == [
        {
            "name": "update",
            "argv": ["1!2.0+local.7", "rc/devel", str(repo), sys.executable, "true"],
            "cwd": str(repo),
        }
    ]


def test_branch_falls_back_to_release_channel(repo: Path, scripts: Path) -> None:
    """Without ``branch`` the check's prerelease_channel fills {branch}; force is 'false'."""
    check = {
        "update_script": [
            sys.executable,
            str(scripts / "record.py"),
            str(scripts / "calls.jsonl"),
            "update",
            "0",
            "{branch}",
            "{force}",
        ],
        "update_folder": str(repo),
        "prerelease_channel": "maintenance",
    }
    update_script.perform_update("demo", check, "2.0")
    assert calls(scripts)[0]["argv"] == ["maintenance", "false"]


def test_pre_and_post_scripts_run_around_the_update(repo: Path, scripts: Path) -> None:
    """pre_update_script, update_script and post_update_script run in order in the folder."""
    check = {
        "pre_update_script": record(scripts, "pre"),
        "update_script": record(scripts, "update"),
        "post_update_script": record(scripts, "post"),
        "update_folder": str(repo),
    }
    log = Log()
    update_script.perform_update("demo", check, "2.0", log_cb=log)
    assert [c["name"] for c in calls(scripts)] == ["pre", "update", "post"]
    assert {c["cwd"] for c in calls(scripts)} == {str(repo)}
    assert log.stream("stdout") == ["pre says hello", "update says hello", "post says hello"]
    assert log.stream("stderr") == ["pre complains", "update complains", "post complains"]


def test_failing_script_raises_with_its_output(repo: Path, scripts: Path) -> None:
    """A script exiting non-zero raises ScriptError with its output; later scripts do not run."""
    check = {
        "update_script": record(scripts, "update", 3),
        "post_update_script": record(scripts, "post"),
        "update_folder": str(repo),
    }
    with pytest.raises(ScriptError) as info:
        update_script.perform_update("demo", check, "2.0")
    assert isinstance(info.value, UpdateError)
    assert info.value.returncode == 3
    assert info.value.stdout == "update says hello"
    assert info.value.stderr == "update complains"
    assert "update_script" in str(info.value)
    assert [c["name"] for c in calls(scripts)] == ["update"]


def test_failing_pre_script_stops_the_update(repo: Path, scripts: Path) -> None:
    """When the pre-update script fails the update script never runs."""
    check = {
        "pre_update_script": record(scripts, "pre", 1),
        "update_script": record(scripts, "update"),
        "update_folder": str(repo),
    }
    with pytest.raises(ScriptError, match="pre_update_script"):
        update_script.perform_update("demo", check, "2.0")
    assert [c["name"] for c in calls(scripts)] == ["pre"]


@pytest.mark.parametrize("version", HOSTILE_VERSIONS)
def test_hostile_versions_run_nothing(repo: Path, scripts: Path, version: str) -> None:
    """A version that could become an option, a command or a path raises and runs no script."""
    check = {
        "pre_update_script": record(scripts, "pre"),
        "update_script": record(scripts, "update", 0, "{target}"),
        "update_folder": str(repo),
    }
    with pytest.raises(UpdateError, match="refusing target_version"):
        update_script.perform_update("demo", check, version)
    assert calls(scripts) == []


@pytest.mark.parametrize("branch", ["../main", "-b", "main;id", "/abs", "a//b", "$(id)"])
def test_hostile_branches_run_nothing(repo: Path, scripts: Path, branch: str) -> None:
    """A branch that could escape or become an option is refused before anything runs."""
    check = {
        "update_script": record(scripts, "update", 0, "{branch}"),
        "update_folder": str(repo),
        "branch": branch,
    }
    with pytest.raises(ConfigurationInvalid, match="refusing branch"):
        update_script.perform_update("demo", check, "2.0")
    assert calls(scripts) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"update_script": None}, "no 'update_script'"),
        ({"update_folder": None}, "needs an update_folder or checkout_folder"),
        ({"update_folder": "/no/such/folder"}, "not an existing folder"),
        ({"update_script": "{python} {branch}"}, "uses {branch}"),
        ({"update_script": "'unterminated"}, "cannot split"),
        ({"update_script": "{python} {0}"}, "bad placeholder"),
        ({"update_script": 42}, "must be a string or a list"),
        ({"post_update_script": "{python} {target!z}"}, "post_update_script"),
    ],
)
def test_broken_config_is_an_update_error(
    repo: Path, scripts: Path, overrides: dict[str, Any], message: str
) -> None:
    """Missing script or folder and malformed commands are refused before any script runs."""
    check = {
        "pre_update_script": record(scripts, "pre"),
        "update_script": record(scripts, "update"),
        "update_folder": str(repo),
        **overrides,
    }
    with pytest.raises(ConfigurationInvalid, match=message):
        update_script.perform_update("demo", check, "2.0")
    assert calls(scripts) == []


def test_can_perform_update_needs_script_and_existing_folder(repo: Path) -> None:
    """can_perform_update is False without a script or with a missing folder."""
    assert update_script.can_perform_update(
        "d", {"update_script": "x", "checkout_folder": str(repo)}
    )
    assert not update_script.can_perform_update("d", {"update_folder": str(repo)})
    assert not update_script.can_perform_update("d", {"update_script": "x"})
    assert not update_script.can_perform_update(
        "d", {"update_script": "x", "update_folder": str(repo / "missing")}
    )


def test_offline_needs_offline_flag(repo: Path, scripts: Path) -> None:
    """Offline the script runs only when the check says ``offline: true``."""
    check = {"update_script": record(scripts, "update"), "update_folder": str(repo)}
    assert not update_script.can_perform_update("demo", check, online=False)
    with pytest.raises(CannotUpdateOffline):
        update_script.perform_update("demo", check, "2.0", online=False)
    assert calls(scripts) == []

    offline = {**check, "offline": True}
    assert update_script.can_perform_update("demo", offline, online=False)
    update_script.perform_update("demo", offline, "2.0", online=False)
    assert [c["name"] for c in calls(scripts)] == ["update"]


def test_a_script_past_update_timeout_is_stopped_promptly(repo: Path, tmp_path: Path) -> None:
    """A script running longer than ``update_timeout`` is killed and fails naming the timeout."""
    hang = tmp_path / "hang.py"
    hang.write_text("import time\ntime.sleep(120)\n")
    check = {
        "update_script": ["{python}", str(hang)],
        "update_folder": str(repo),
        "update_timeout": 0.5,
    }
    started = time.monotonic()
    with pytest.raises(UpdateError, match=r"did not finish within 0\.5 seconds \(update_timeout\)"):
        update_script.perform_update("demo", check, "2.0")
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("value", ["1h", 0, -1, False, {"s": 1}])
def test_an_invalid_update_timeout_runs_no_script(repo: Path, scripts: Path, value: Any) -> None:
    """A non-positive or non-numeric ``update_timeout`` is a ConfigurationInvalid naming the key."""
    check = {
        "update_script": record(scripts, "update"),
        "update_folder": str(repo),
        "update_timeout": value,
    }
    with pytest.raises(ConfigurationInvalid, match="update_timeout"):
        update_script.perform_update("demo", check, "2.0")
    assert calls(scripts) == []


def test_url_credentials_are_masked_in_a_failing_script(repo: Path, tmp_path: Path) -> None:
    """A script given a URL with a token logs its call line and fails without the token."""
    fail = tmp_path / "fail.py"
    fail.write_text("import sys\nsys.exit(4)\n")
    check = {
        "update_script": ["{python}", str(fail), "https://SECRETTOKEN@127.0.0.1:9/r.git"],
        "update_folder": str(repo),
    }
    log = Log()
    with pytest.raises(ScriptError) as info:
        update_script.perform_update("demo", check, "2.0", log_cb=log)
    assert info.value.returncode == 4
    assert "https://***@127.0.0.1:9/r.git" in log.stream("call")[0]
    assert "SECRETTOKEN" not in repr(log.entries) + str(info.value)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"post_update_script": "{python} {target!r}"}, "post_update_script"),
        ({"update_script": "{python} {branch}"}, "update_script"),
        ({"branch": "../main"}, "branch"),
        ({"update_folder": "/no/such/folder"}, "update_folder"),
    ],
)
def test_validate_reports_what_perform_update_refuses(
    repo: Path, scripts: Path, tmp_path: Path, overrides: dict[str, Any], key: str
) -> None:
    """A bad update_script key is reported by validate() and refused by perform_update with
    the same error, before any script runs."""
    check = {
        "type": "always_current",
        "pre_update_script": record(scripts, "pre"),
        "update_script": record(scripts, "update"),
        "update_folder": str(repo),
        **overrides,
    }
    problem, effective = validated(tmp_path, "demo", check)
    assert problem.startswith(f"checks.demo.{key}: ")
    assert not update_script.can_perform_update("demo", effective)
    with pytest.raises(ConfigurationInvalid) as info:
        update_script.perform_update("demo", effective, "2.0")
    assert str(info.value) == problem
    assert calls(scripts) == []
