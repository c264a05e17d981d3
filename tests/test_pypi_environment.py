"""``pypi_release`` judged for pip's target environment: a real second virtualenv as pip_command.

The virtualenv uses an older Python when one is installed here (``python3.9`` …), else this
Python; either way it holds its own installed versions (wheels built in the test), which
differ from the library's environment. pip itself is the oracle for the recorded pages.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import attrs
import pytest

from softwareupdate_core import Manager
from softwareupdate_core.exceptions import CheckError
from softwareupdate_core.http import HttpClient
from softwareupdate_core.version_checks import pypi_release
from softwareupdate_core.version_checks._pypi_collect import fetch_project
from softwareupdate_core.version_checks._pypi_environment import TargetEnvironments
from softwareupdate_core.version_checks._pypi_evaluate import evaluate
from tests.fakes.pypi import FakeFile, FakeIndex, mount_index
from tests.httpserver import FakeServer
from tests.venvtools import other_pythons
from tests.wheels import build_wheel

POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="uses a /bin/sh wrapper script")


@attrs.frozen
class Target:
    """The second virtualenv: its python, version and most specific wheel tag."""

    python: Path
    version: tuple[int, int]
    best_tag: str

    @property
    def pip_command(self) -> list[str]:
        return [str(self.python), "-m", "pip"]

    def pip(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        return subprocess.run(
            [*self.pip_command, "--isolated", "--disable-pip-version-check", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )


def older_python() -> str:
    """An installed older Python (3.9 first, as in the issue), else this one."""
    older = [p for p in other_pythons() if _minor(p) < sys.version_info[1]]
    return older[0] if older else sys.executable


def _minor(python: str) -> int:
    match = re.search(r"python3\.(\d+)", Path(python).name)
    return int(match.group(1)) if match else sys.version_info[1]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Target:
    """A virtualenv (older Python if possible) with attrs 21.4.0 and demo-pkg 1.0 installed."""
    folder = tmp_path_factory.mktemp("target")
    base = older_python()
    subprocess.run([base, "-m", "venv", str(folder / "venv")], check=True, timeout=600)
    python = folder / "venv" / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import sys; from pip._vendor.packaging.tags import sys_tags; "
            "print(sys.version_info[0], sys.version_info[1], next(iter(sys_tags())))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    major, minor, tag = probe.stdout.split()
    found = Target(python, (int(major), int(minor)), tag)
    wheels = [
        build_wheel(folder / "wheels", "attrs", "21.4.0"),
        build_wheel(folder / "wheels", "demo-pkg", "1.0"),
    ]
    result = found.pip("install", "--no-index", "--no-deps", *map(str, wheels))
    assert result.returncode == 0, result.stderr
    return found


@pytest.fixture
def index(server: FakeServer) -> FakeIndex:
    return mount_index(server)


def demo_files(target: Target) -> list[FakeFile]:
    """demo-pkg: 1.8 only as a wheel for the target; 2.0 needs a newer Python; 2.1 is cp27."""
    interpreter, abi, platform = target.best_tag.split("-")
    major, minor = target.version
    return [
        FakeFile("demo_pkg-1.5-py3-none-any.whl"),
        FakeFile(f"demo_pkg-1.8-{interpreter}-{abi}-{platform}.whl"),
        FakeFile("demo_pkg-2.0-py3-none-any.whl", requires_python=f">={major}.{minor + 1}"),
        FakeFile("demo_pkg-2.1-cp27-cp27mu-manylinux1_x86_64.whl"),
    ]


def check(package: str, index: FakeIndex, **extra: Any) -> dict[str, Any]:
    return {"type": "pypi_release", "package": package, "index_url": index.url, **extra}


def test_pip_command_environment_decides_version_python_and_tags(
    target: Target, index: FakeIndex, http: HttpClient
) -> None:
    """With pip_command the target's Python, wheel tags and installed version count."""
    index.add_project("demo-pkg", demo_files(target))
    info, is_current = pypi_release.get_latest(
        "demo", check("demo-pkg", index, pip_command=target.pip_command), http=http
    )
    assert (info.local.value, info.remote.value, is_current) == ("1.0", "1.8", False)

    here, _ = pypi_release.get_latest("demo", check("demo-pkg", index), http=http)
    newer_here = sys.version_info[:2] > target.version
    assert here.local.name == "not installed"
    assert here.remote.value == ("2.0" if newer_here else "1.8")


def test_installed_version_is_read_from_the_target(
    target: Target, index: FakeIndex, http: HttpClient
) -> None:
    """attrs 21.4.0 in the target is offered 22.1.0, while this environment's attrs is newer."""
    index.add_project("attrs", [FakeFile("attrs-21.4.0.tar.gz"), FakeFile("attrs-22.1.0.tar.gz")])
    there, there_current = pypi_release.get_latest(
        "attrs", check("attrs", index, pip_command=" ".join(target.pip_command)), http=http
    )
    here, here_current = pypi_release.get_latest("attrs", check("attrs", index), http=http)
    assert (there.local.value, there.remote.value, there_current) == ("21.4.0", "22.1.0", False)
    assert here.local.value not in (None, "21.4.0") and here_current is True


def test_global_pip_command_plans_what_the_target_installs(
    target: Target, index: FakeIndex, tmp_path: Path
) -> None:
    """The global pip_command reaches the check: the dry-run plan names the target's version."""
    index.add_project("demo-pkg", demo_files(target))
    settings = {
        "checks": {"demo": {**check("demo-pkg", index), "pip": "demo-pkg=={target_version}"}},
        "pip_command": target.pip_command,
        "check_overlay_url": None,
    }
    with Manager(settings, data_folder=tmp_path, load_entrypoints=False) as m:
        status = m.check().targets["demo"]
        plan = m.plan_update(["demo"])
    assert (status.local_version, status.remote_version) == ("1.0", "1.8")
    assert plan.order == ("demo",)
    assert plan.results["demo"].to_version == "1.8"


def counting_wrapper(folder: Path, python: Path) -> tuple[Path, Path]:
    """A ``python`` wrapper script that appends a line to a log file each time it runs."""
    log = folder / "runs.log"
    script = folder / "python-wrapper"
    script.write_text(f'#!/bin/sh\necho run >> "{log}"\nexec "{python}" "$@"\n')
    script.chmod(0o755)
    return script, log


@POSIX_ONLY
def test_target_is_probed_once_and_remembered_in_the_data_folder(
    target: Target, index: FakeIndex, tmp_path: Path
) -> None:
    """One probe serves every check and round of a Manager, and later Managers until it changes."""
    wrapper, runs = counting_wrapper(tmp_path, target.python)
    index.add_project("demo-pkg", demo_files(target))
    index.add_project("attrs", [FakeFile("attrs-22.1.0.tar.gz")])
    settings = {
        "checks": {
            "demo": check("demo-pkg", index),
            "attrs": check("attrs", index),
        },
        "pip_command": [str(wrapper), "-m", "pip"],
        "check_overlay_url": None,
    }
    data = tmp_path / "data"

    def probes() -> int:
        return len(runs.read_text().splitlines()) if runs.exists() else 0

    with Manager(settings, data_folder=data, load_entrypoints=False) as m:
        first = m.check(force=True)
        m.check(force=True)
    assert first.targets["demo"].remote_version == "1.8"
    assert first.targets["attrs"].local_version == "21.4.0"
    assert probes() == 1
    with Manager(settings, data_folder=data, load_entrypoints=False) as m:
        assert m.check(force=True).targets["demo"].local_version == "1.0"
    assert probes() == 1
    later = time.time() + 5
    os.utime(wrapper, (later, later))  # "the interpreter changed"
    with Manager(settings, data_folder=data, load_entrypoints=False) as m:
        m.check(force=True)
    assert probes() == 2


@POSIX_ONLY
def test_a_hanging_interpreter_is_stopped_at_the_probe_timeout(tmp_path: Path) -> None:
    """The probe is bounded: an interpreter that never answers is a check error, not a hang."""
    script = tmp_path / "python"
    script.write_text("#!/bin/sh\nsleep 60\n")
    script.chmod(0o755)
    started = time.monotonic()
    with pytest.raises(CheckError, match=r"cannot ask .* what it installs"):
        TargetEnvironments(timeout=1.0).for_python(str(script))
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("#!/bin/sh\necho not json\n", "unexpected answer"),
        ("#!/bin/sh\necho '{\"version\": [3, 9, 1]}'\n", "unexpected answer \\(no wheel tags\\)"),
        ("#!/bin/sh\necho broken >&2\nexit 1\n", "broken"),
    ],
)
@POSIX_ONLY
def test_an_interpreter_answering_nonsense_is_a_check_error(
    tmp_path: Path, script: str, message: str
) -> None:
    """A pip_command python that fails or answers nonsense is named in a check error."""
    path = tmp_path / "python"
    path.write_text(script)
    path.chmod(0o755)
    with pytest.raises(CheckError, match=message):
        TargetEnvironments().for_python(str(path))


def test_a_missing_interpreter_is_a_check_error(index: FakeIndex, http: HttpClient) -> None:
    """A pip_command whose python does not exist fails the check with its path."""
    index.add_project("demo-pkg", [FakeFile("demo_pkg-1.0.tar.gz")])
    with pytest.raises(CheckError, match=r"nowhere/python.*cannot be used"):
        pypi_release.get_latest(
            "demo",
            check("demo-pkg", index, pip_command="/nowhere/python -m pip"),
            http=http,
        )


# -- pip as the oracle -----------------------------------------------------------------------
def pip_versions(target: Target, project: str, index: FakeIndex) -> set[str]:
    """The versions ``pip index versions`` lists in the target environment (none: empty)."""
    result = target.pip("index", "versions", project, "--index-url", index.url, "--no-cache-dir")
    match = re.search(r"^Available versions: (.*)$", result.stdout, re.MULTILINE)
    if match is None:
        assert "No matching distribution" in result.stderr, result.stderr
        return set()
    return set(match.group(1).split(", "))


@pytest.mark.parametrize(
    ("project", "form"),
    [
        ("windows-curses", "html"),
        ("django", "negotiate"),
        ("docutils", "html"),
        ("aiohttp", "negotiate"),
    ],
)
def test_recorded_pages_agree_with_pip_index_versions(
    target: Target, server: FakeServer, http: HttpClient, project: str, form: str
) -> None:
    """For the recorded real pages our installable final versions equal pip's, in the target."""
    index = mount_index(server, form=form)
    index.add_recorded(project)
    page = fetch_project(http, index.url, project)
    assert page is not None
    environment = TargetEnvironments().for_python(str(target.python))
    ours = {
        str(v) for v in evaluate(page.files, project, environment).versions if not v.is_prerelease
    }
    assert ours == pip_versions(target, project, index)


@POSIX_ONLY
def test_a_corrupt_environments_file_is_set_aside_and_rebuilt(
    target: Target, tmp_path: Path
) -> None:
    """A damaged python_environments.json costs one new probe, never a failed check."""
    wrapper, runs = counting_wrapper(tmp_path, target.python)
    path = tmp_path / "data" / "python_environments.json"
    path.parent.mkdir()
    path.write_text("{not json")
    environment = TargetEnvironments(path).for_python(str(wrapper))
    assert environment.version[:2] == target.version
    assert environment.installed_version("demo-pkg") == "1.0"
    assert len(runs.read_text().splitlines()) == 1
    assert list(path.parent.glob("python_environments.json.corrupt-*"))
    again = TargetEnvironments(path).for_python(str(wrapper))
    assert again == environment and len(runs.read_text().splitlines()) == 1
