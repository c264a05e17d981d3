"""The ``pip`` update method against a real throwaway virtualenv and wheels built in the test."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from softwareupdate_core.exceptions import (
    CannotUpdateOffline,
    ConfigurationInvalid,
    ScriptError,
    UpdateError,
)
from softwareupdate_core.updaters import pip
from tests.configcheck import validated
from tests.wheels import build_wheel, make_venv

HOSTILE_VERSIONS = [
    "1.0 --index-url http://x",
    "1.0;rm -rf ~",
    "$(id)",
    "../../x",
    "--index-url=http://x",
    "1.0`id`",
    "1.0|cat",
    "1.0&&x",
    "1.0\n2.0",
    "1.0\x00",
    "a" * 201,
    "",
]


class Recorder:
    """A fake command: a Python script that appends its argv and cwd as JSON to a file."""

    def __init__(self, folder: Path) -> None:
        self.script = folder / "record.py"
        self.output = folder / "calls.jsonl"
        self.script.write_text(
            "import json, os, sys\n"
            "with open(sys.argv[1], 'a') as f:\n"
            "    f.write(json.dumps({'argv': sys.argv[2:], 'cwd': os.getcwd()}) + '\\n')\n"
        )

    @property
    def command(self) -> list[str]:
        return [sys.executable, str(self.script), str(self.output)]

    def calls(self) -> list[dict[str, Any]]:
        if not self.output.exists():
            return []
        return [json.loads(line) for line in self.output.read_text().splitlines()]


class Log:
    """Collects what an updater passes to ``log_cb``."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []

    def __call__(self, lines: list[str], prefix: Any = None, stream: str = "message") -> None:
        self.entries.extend((stream, line) for line in lines)

    def stream(self, name: str) -> list[str]:
        return [line for stream, line in self.entries if stream == name]


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real virtualenv per module (creating it takes seconds)."""
    return make_venv(tmp_path_factory.mktemp("pipvenv") / "venv")


@pytest.fixture
def local_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Make pip install only from a folder of wheels of this test, never from the network."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("PIP_NO_INPUT", "1")
    monkeypatch.delenv("PIP_USER", raising=False)
    yield wheels


@pytest.fixture
def recorder(tmp_path: Path) -> Recorder:
    return Recorder(tmp_path)


def run_in(python: Path, code: str) -> str:
    return subprocess.run(
        [str(python), "-c", code], check=True, capture_output=True, text=True, timeout=60
    ).stdout.strip()


def venv_check(python: Path, requirement: str) -> dict[str, Any]:
    return {"pip": requirement, "pip_command": [str(python), "-m", "pip"]}


# -- real pip in a real virtualenv -----------------------------------------------------------


def test_installs_and_upgrades_the_requested_version(venv_python: Path, local_index: Path) -> None:
    """pip installs the version asked for, then upgrades to the next one, without --user."""
    build_wheel(local_index, "demo-alpha", "1.0", "VALUE = 'one'")
    build_wheel(local_index, "demo-alpha", "2.0", "VALUE = 'two'")
    check = venv_check(venv_python, "demo-alpha=={target_version}")
    log = Log()

    pip.perform_update("demo", check, "1.0", log_cb=log)
    assert pip.installed_version(check, "demo-alpha") == "1.0"
    assert run_in(venv_python, "import demo_alpha; print(demo_alpha.VALUE)") == "one"

    pip.perform_update("demo", check, "2.0", log_cb=log)
    assert pip.installed_version(check, "demo-alpha") == "2.0"
    assert run_in(venv_python, "import demo_alpha; print(demo_alpha.VALUE)") == "two"
    calls = log.stream("call")
    assert len(calls) == 2
    assert all("--user" not in call and "--force-reinstall" not in call for call in calls)


def test_reinstalls_when_pip_reports_version_already_installed(
    venv_python: Path, local_index: Path
) -> None:
    """A second update to the same version reruns pip with --force-reinstall --no-deps."""
    build_wheel(local_index, "demo-beta", "1.0", "VALUE = 'original'")
    check = venv_check(venv_python, "demo-beta=={target}")
    pip.perform_update("demo", check, "1.0")
    installed = Path(run_in(venv_python, "import demo_beta; print(demo_beta.__file__)"))
    installed.write_text("VALUE = 'tampered'\n")

    log = Log()
    pip.perform_update("demo", check, "1.0", log_cb=log)

    calls = log.stream("call")
    assert len(calls) == 2
    assert "--force-reinstall" not in calls[0]
    assert calls[1].endswith("install --force-reinstall --no-deps demo-beta==1.0")
    assert any("already installed" in line for line in log.stream("message"))
    assert run_in(venv_python, "import demo_beta; print(demo_beta.VALUE)") == "original"


def test_installs_a_wheel_file_named_by_the_template(venv_python: Path, local_index: Path) -> None:
    """A ``pip`` value that is a wheel path gets the version substituted and installs it."""
    build_wheel(local_index, "demo-gamma", "3.1", "VALUE = 31")
    check = venv_check(
        venv_python, str(local_index / "demo_gamma-{target_version}-py3-none-any.whl")
    )
    pip.perform_update("demo", check, "3.1")
    assert pip.installed_version(check, "demo-gamma") == "3.1"


def test_failed_install_raises_script_error_with_pip_output(
    venv_python: Path, local_index: Path
) -> None:
    """A version pip cannot find fails with a ScriptError carrying pip's stderr."""
    build_wheel(local_index, "demo-delta", "1.0")
    check = venv_check(venv_python, "demo-delta=={target_version}")
    with pytest.raises(ScriptError) as info:
        pip.perform_update("demo", check, "9.9")
    assert isinstance(info.value, UpdateError)
    assert info.value.returncode != 0
    assert "demo-delta==9.9" in info.value.stderr
    assert info.value.data == {"stdout": info.value.stdout, "stderr": info.value.stderr}
    assert pip.installed_version(check, "demo-delta") is None


def test_pip_executable_command_finds_its_python(venv_python: Path, local_index: Path) -> None:
    """With the venv's ``pip`` executable as a string command, its python is the target."""
    build_wheel(local_index, "demo-epsilon", "0.5")
    pip_exe = venv_python.parent / "pip"
    check = {"pip": "demo-epsilon=={target_version}", "pip_command": f"'{pip_exe}'"}
    assert pip.python_for(check) == str(venv_python)
    pip.perform_update("demo", check, "0.5")
    assert pip.installed_version(check, "demo-epsilon") == "0.5"


def test_site_info_of_a_venv_needs_no_user_install(venv_python: Path) -> None:
    """The probe of a virtualenv reports writable site-packages and no user site."""
    info = pip.site_info(venv_check(venv_python, "x"))
    assert info is not None
    assert info.purelib.startswith(str(venv_python.parent.parent))
    assert info.writable and not info.user_site and not info.needs_user


# -- command construction with a recording fake ---------------------------------------------


@pytest.mark.parametrize("version", HOSTILE_VERSIONS)
def test_hostile_versions_are_rejected_before_anything_runs(
    recorder: Recorder, version: str
) -> None:
    """A version that could become an option, a command or a path raises and runs nothing."""
    check = {"pip": "pkg=={target_version}", "pip_command": recorder.command}
    with pytest.raises(UpdateError, match="refusing target_version"):
        pip.perform_update("demo", check, version)
    assert recorder.calls() == []


def test_valid_version_is_passed_as_one_argument(tmp_path: Path) -> None:
    """A string pip_command is split with shlex and the requirement stays one argument."""
    folder = tmp_path / "dir with spaces"
    folder.mkdir()
    recorder = Recorder(folder)
    command = f"'{sys.executable}' '{recorder.script}' '{recorder.output}' --isolated"
    check = {"pip": "pkg @ https://example.invalid/a-{target}.zip", "pip_command": command}
    pip.perform_update("demo", check, "1!2.0+local.7")
    assert recorder.calls()[0]["argv"] == [
        "--isolated",
        "install",
        "pkg @ https://example.invalid/a-1!2.0+local.7.zip",
    ]


@pytest.mark.parametrize(("force", "config"), [(True, {}), (False, {"force_reinstall": True})])
def test_force_adds_force_reinstall(
    recorder: Recorder, force: bool, config: dict[str, Any]
) -> None:
    """force=True or force_reinstall in the check pass --force-reinstall, in one pip run."""
    check = {"pip": "pkg=={target_version}", "pip_command": recorder.command, **config}
    pip.perform_update("demo", check, "1.0", force=force)
    assert [call["argv"] for call in recorder.calls()] == [
        ["install", "--force-reinstall", "pkg==1.0"]
    ]


def test_pip_cwd_is_the_working_directory(recorder: Recorder, tmp_path: Path) -> None:
    """pip runs in pip_cwd; a missing pip_cwd is refused (ConfigurationInvalid) before pip runs."""
    work = tmp_path / "work"
    work.mkdir()
    check = {"pip": "pkg", "pip_command": recorder.command, "pip_cwd": str(work)}
    pip.perform_update("demo", check, "1.0")
    assert recorder.calls()[0]["cwd"] == str(work)

    with pytest.raises(ConfigurationInvalid, match=r"checks\.demo\.pip_cwd"):
        pip.perform_update("demo", {**check, "pip_cwd": str(tmp_path / "gone")}, "1.0")
    assert len(recorder.calls()) == 1


def test_offline_update_needs_offline_flag(recorder: Recorder) -> None:
    """Offline, pip updates are refused unless the check says ``offline: true``."""
    check = {"pip": "pkg=={target_version}", "pip_command": recorder.command}
    assert pip.can_perform_update("demo", check, online=True)
    assert not pip.can_perform_update("demo", check, online=False)
    with pytest.raises(CannotUpdateOffline):
        pip.perform_update("demo", check, "1.0", online=False)
    assert recorder.calls() == []

    offline = {**check, "offline": True}
    assert pip.can_perform_update("demo", offline, online=False)
    pip.perform_update("demo", offline, "1.0", online=False)
    assert recorder.calls()[0]["argv"] == ["install", "pkg==1.0"]


@pytest.mark.parametrize(
    ("writable", "user_site", "expect_user"),
    [(False, True, True), (True, True, False), (False, False, False)],
)
def test_user_flag_only_when_site_packages_not_writable(
    tmp_path: Path, writable: bool, user_site: bool, expect_user: bool
) -> None:
    """--user is added only when the target's site-packages is read-only and user site is on."""
    calls = tmp_path / "calls.jsonl"
    fake_python = tmp_path / "python"
    answer = {"purelib": "/read/only", "writable": writable, "user_site": user_site}
    fake_python.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        "if sys.argv[1] == '-c':\n"
        f"    print(json.dumps({answer!r}))\n"
        "else:\n"
        f"    open({str(calls)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
    )
    fake_python.chmod(0o755)
    check = {"pip": "pkg", "pip_command": [str(fake_python), "-m", "pip"]}
    log = Log()
    pip.perform_update("demo", check, "1.0", log_cb=log)
    argv = json.loads(calls.read_text())
    assert argv == ["-m", "pip", "install", *(["--user"] if expect_user else []), "pkg"]
    assert any("--user" in line for line in log.stream("message")) is expect_user


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pip": None}, "no 'pip' requirement"),
        ({"pip": "  "}, "no 'pip' requirement"),
        ({"pip_command": 5}, "pip_command must be"),
        ({"pip_command": "'unterminated"}, "pip_command: cannot split"),
        ({"pip": "-{target_version}"}, "would be read as an option"),
        ({"pip": "pkg=={target_version!x}"}, "bad placeholder"),
    ],
)
def test_broken_config_is_an_update_error(
    recorder: Recorder, overrides: dict[str, Any], message: str
) -> None:
    """A missing requirement or a malformed pip_command is refused as a ConfigurationInvalid."""
    check = {"pip": "pkg", "pip_command": recorder.command, **overrides}
    with pytest.raises(ConfigurationInvalid, match=message):
        pip.perform_update("demo", check, "1.0")
    assert recorder.calls() == []


def test_cannot_update_without_requirement_or_with_bad_command(recorder: Recorder) -> None:
    """can_perform_update is False for a check without ``pip`` or with a bad pip_command."""
    assert not pip.can_perform_update("demo", {"pip_command": recorder.command})
    assert not pip.can_perform_update("demo", {"pip": "pkg", "pip_command": 5})
    assert pip.can_perform_update("demo", {"pip": "pkg", "pip_command": recorder.command})


def test_missing_pip_executable(tmp_path: Path) -> None:
    """A pip_command that does not exist cannot update and fails as a ScriptError if tried."""
    check = {"pip": "pkg", "pip_command": [str(tmp_path / "no-such-pip")]}
    assert not pip.can_perform_update("demo", check)
    with pytest.raises(ScriptError) as info:
        pip.perform_update("demo", check, "1.0")
    assert info.value.returncode == 127


def test_python_for_defaults_to_running_interpreter() -> None:
    """Without a pip_command the target environment is the running interpreter's."""
    assert pip.python_for({"pip": "x"}) == sys.executable
    assert pip.pip_command({"pip": "x"}) == [sys.executable, "-m", "pip"]


def test_installed_version_of_running_environment() -> None:
    """installed_version reads a distribution's version, and None for one not installed."""
    import attrs

    assert pip.installed_version({}, "attrs") == attrs.__version__
    assert pip.installed_version({}, "no-such-distribution-xyz") is None


# A pip that never finishes (it would hold the update lock forever without a timeout).
HANGING_PIP = "import time\ntime.sleep(120)\n"


def test_a_pip_run_past_update_timeout_is_stopped_promptly(tmp_path: Path) -> None:
    """A pip run longer than ``update_timeout`` is killed and fails naming the timeout."""
    script = tmp_path / "hang.py"
    script.write_text(HANGING_PIP)
    check = {"pip": "pkg", "pip_command": [sys.executable, str(script)], "update_timeout": 0.5}
    started = time.monotonic()
    with pytest.raises(UpdateError, match=r"did not finish within 0\.5 seconds \(update_timeout\)"):
        pip.perform_update("demo", check, "1.0")
    assert time.monotonic() - started < 30


def test_update_timeout_defaults_to_an_hour() -> None:
    """Without ``update_timeout`` a pip run may take 3600 seconds; a number is taken as given."""
    assert pip.update_timeout({}) == 3600.0
    assert pip.update_timeout({"update_timeout": 90}) == 90.0


@pytest.mark.parametrize("value", ["soon", 0, -5, True, [10], float("nan")])
def test_an_invalid_update_timeout_is_a_configuration_error(recorder: Recorder, value: Any) -> None:
    """A non-positive or non-numeric ``update_timeout`` names the key and runs nothing."""
    check = {"pip": "pkg", "pip_command": recorder.command, "update_timeout": value}
    with pytest.raises(ConfigurationInvalid, match="update_timeout"):
        pip.perform_update("demo", check, "1.0")
    assert recorder.calls() == []


def test_url_credentials_are_masked_in_pip_messages(tmp_path: Path) -> None:
    """The logged call line and the ScriptError of a failing pip show no URL credentials."""
    script = tmp_path / "fail.py"
    script.write_text("import sys\nsys.exit(2)\n")
    check = {
        "pip": "pkg @ https://bob:SECRETTOKEN@127.0.0.1:9/pkg-{target_version}.zip",
        "pip_command": [sys.executable, str(script)],
    }
    log = Log()
    with pytest.raises(ScriptError) as info:
        pip.perform_update("demo", check, "1.0", log_cb=log)
    assert "https://***@127.0.0.1:9/pkg-1.0.zip" in str(info.value)
    assert "https://***@127.0.0.1:9/pkg-1.0.zip" in log.stream("call")[-1]
    assert "SECRETTOKEN" not in repr(log.entries) + str(info.value) + info.value.command


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"distribution": 5}, "distribution"),
        ({"pip_cwd": "/no/such/folder"}, "pip_cwd"),
    ],
)
def test_validate_reports_what_perform_update_refuses(
    recorder: Recorder, tmp_path: Path, overrides: dict[str, Any], key: str
) -> None:
    """A bad pip key is reported by validate() and refused by perform_update with the same
    error, before pip runs."""
    check = {"type": "always_current", "pip": "pkg", "pip_command": recorder.command, **overrides}
    problem, effective = validated(tmp_path, "demo", check)
    assert problem.startswith(f"checks.demo.{key}: ")
    assert not pip.can_perform_update("demo", effective)
    with pytest.raises(ConfigurationInvalid) as info:
        pip.perform_update("demo", effective, "1.0")
    assert str(info.value) == problem
    assert recorder.calls() == []
