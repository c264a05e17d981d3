"""Verification after a pip update and rollback to the previous version when it fails.

The real tests install locally built wheels into a throwaway virtualenv (no index, no network)
and check what is importable there afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Optional

import pytest

from softwareupdate_core import events
from tests.fakes.updates import Recorder, RoundPlugin, Versions, make_manager
from tests.wheels import build_wheel, make_venv

GOOD = "def hello():\n    return 'hello'\n"
BROKEN = "raise ImportError('version 2.0 is broken')\n"


@pytest.fixture
def offline_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    """pip never looks at an index and never phones home."""
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")


def _installed(python: Path) -> str:
    """The version of ``demo_pkg`` that imports in the venv, or the import error."""
    result = subprocess.run(
        [str(python), "-c", "import demo_pkg; print(demo_pkg.__version__, demo_pkg.hello())"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout.strip() if result.returncode == 0 else result.stderr.strip()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A virtualenv with demo-pkg 1.0 installed, and wheels 1.0, 2.0 (good) and 2.0 (broken)."""
    root = tmp_path_factory.mktemp("rollback")
    old = build_wheel(root / "good", "demo-pkg", "1.0", GOOD)
    build_wheel(root / "good", "demo-pkg", "2.0", GOOD)
    build_wheel(root / "broken", "demo-pkg", "1.0", GOOD)
    build_wheel(root / "broken", "demo-pkg", "2.0", BROKEN)
    python = make_venv(root / "venv")
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-index", str(old)],
        check=True,
        capture_output=True,
        timeout=300,
        env=env,
    )
    return root, python


def _setup(tmp_path: Path, template: tuple[Path, Path], kind: str) -> tuple[Path, Path]:
    """A private copy of the template venv (run through its python, copies work) and wheels."""
    root, python = template
    shutil.copytree(root / "venv", tmp_path / "venv", symlinks=True)
    copy = tmp_path / "venv" / python.relative_to(root / "venv")
    assert _installed(copy) == "1.0 hello"
    return copy, root / kind


def _pip_check(python: Path, wheels: Path, **extra: Any) -> dict[str, Any]:
    return {
        "type": "state",
        "pip": str(wheels / "demo_pkg-{target_version}-py3-none-any.whl"),
        "pip_command": [str(python), "-m", "pip"],
        "distribution": "demo-pkg",
        "offline": True,
        **extra,
    }


@pytest.mark.slow
def test_a_broken_new_version_is_rolled_back_and_the_old_one_works(
    tmp_path: Path, template: tuple[Path, Path], offline_pip: None
) -> None:
    """A pip update whose module fails to import is reverted; version 1.0 imports again."""
    python, wheels = _setup(tmp_path, template, "broken")
    recorder = Recorder()
    versions = Versions(demo=("1.0", "2.0"))
    checks = {"demo": _pip_check(python, wheels, verify="demo_pkg")}
    with make_manager(tmp_path / "data", RoundPlugin(versions), checks, events=recorder) as m:
        report = m.update()
        entries = m.update_log()
    result = report.results["demo"]
    assert result.outcome == "rolled_back"
    assert not result.success
    assert "version 2.0 is broken" in result.text
    assert result.text.endswith("rolled back to 1.0")
    assert _installed(python) == "1.0 hello"
    assert recorder.of(events.UPDATE_FAILED)[0]["target"] == "demo"
    assert events.UPDATE_SUCCEEDED not in recorder.names()
    lines = [p["line"] for p in recorder.of(events.UPDATE_LOG_LINE)]
    assert "rolled back to 1.0" in lines
    assert [(e.target, e.success) for e in entries] == [("demo", False)]
    assert "rolled back" in entries[0].text
    assert report.restart is None


@pytest.mark.slow
def test_a_good_new_version_passes_verification(
    tmp_path: Path, template: tuple[Path, Path], offline_pip: None
) -> None:
    """A pip update whose version and verify command check out stays installed."""
    python, wheels = _setup(tmp_path, template, "good")
    verify = [str(python), "-c", "import demo_pkg; assert demo_pkg.__version__ == '2.0'"]
    checks = {"demo": _pip_check(python, wheels, verify=verify)}
    with make_manager(tmp_path / "data", RoundPlugin(Versions(demo=("1.0", "2.0"))), checks) as m:
        report = m.update()
    assert report.results["demo"].outcome == "updated", report.results["demo"].text
    assert _installed(python) == "2.0 hello"
    assert report.restart == "octoprint"


@pytest.mark.slow
def test_a_failing_verify_command_rolls_back(
    tmp_path: Path, template: tuple[Path, Path], offline_pip: None
) -> None:
    """A verify command that exits non-zero reverts a pip update that installed fine."""
    python, wheels = _setup(tmp_path, template, "good")
    verify = "{python} -c 'import sys; sys.exit(4)'"
    checks = {"demo": _pip_check(python, wheels, verify=verify)}
    with make_manager(tmp_path / "data", RoundPlugin(Versions(demo=("1.0", "2.0"))), checks) as m:
        report = m.update()
    assert report.results["demo"].outcome == "rolled_back"
    assert "exit status 4" in report.results["demo"].text
    assert _installed(python) == "1.0 hello"


@pytest.mark.slow
def test_an_install_that_does_not_reach_the_target_version_is_rolled_back(
    tmp_path: Path, template: tuple[Path, Path], offline_pip: None
) -> None:
    """When pip leaves another version installed than the target, the round reverts it."""
    python, wheels = _setup(tmp_path, template, "good")
    checks = {"demo": _pip_check(python, wheels)}
    checks["demo"]["pip"] = str(wheels / "demo_pkg-1.0-py3-none-any.whl")  # not pinned
    with make_manager(tmp_path / "data", RoundPlugin(Versions(demo=("1.0", "2.0"))), checks) as m:
        report = m.update()
    result = report.results["demo"]
    assert result.outcome == "rolled_back"
    assert "reports version 1.0, expected 2.0" in result.text
    assert _installed(python) == "1.0 hello"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("previous", "expected"),
    [
        (None, "cannot roll back, the previous version is unknown"),
        ("0.5", "rolling back to 0.5 failed"),
    ],
)
def test_a_rollback_that_cannot_happen_is_a_plain_failure(
    tmp_path: Path,
    template: tuple[Path, Path],
    offline_pip: None,
    previous: Optional[str],
    expected: str,
) -> None:
    """Without a known or installable previous version the target is failed, saying why."""
    python, wheels = _setup(tmp_path, template, "broken")
    recorder = Recorder()
    checks = {"demo": _pip_check(python, wheels, verify="demo_pkg")}
    with make_manager(
        tmp_path / "data", RoundPlugin(Versions(demo=(previous, "2.0"))), checks, events=recorder
    ) as m:
        report = m.update()
    result = report.results["demo"]
    assert result.outcome == "failed"
    assert expected in result.text
    assert recorder.of(events.UPDATE_FAILED)[0]["target"] == "demo"
