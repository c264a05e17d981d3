"""Throwaway virtualenvs for plugin tests: real wheels, real entry points, real console script.

A fresh ``python -m venv`` gets wheels of the library and of a plugin, built here from the
working tree. The library's own dependencies (attrs, requests, ...) are not downloaded
again: a ``.pth`` file makes the test interpreter's site-packages visible after the venv's
own, so the installed wheels always come first.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path

import attrs

REPO = Path(__file__).resolve().parent.parent
LIBRARY_FILES = ("pyproject.toml", "README.md", "softwareupdate_core")


def _pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args],
        check=True,
        capture_output=True,
        text=True,
    )


def build_wheel(source: Path, out: Path) -> Path:
    """Build a wheel of the project in ``source`` into ``out`` and return its path.

    The tree is copied first so the build leaves nothing in the working tree. Build isolation
    (setuptools from the index) is used only when this interpreter lacks setuptools and wheel.
    """
    work = out / f"src-{source.name}"
    if source == REPO:
        work.mkdir(parents=True)
        for name in LIBRARY_FILES:
            path = source / name
            if path.is_dir():
                shutil.copytree(path, work / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(path, work / name)
    else:
        shutil.copytree(source, work, ignore=shutil.ignore_patterns("__pycache__", "build"))
    before = set(out.glob("*.whl"))
    isolation = (
        ["--no-build-isolation"]
        if importlib.util.find_spec("setuptools") and importlib.util.find_spec("wheel")
        else []
    )
    _pip("wheel", "--no-deps", *isolation, "--wheel-dir", str(out), str(work))
    (built,) = set(out.glob("*.whl")) - before
    return built


@attrs.frozen
class Venv:
    """A virtualenv made for one test module."""

    path: Path

    @property
    def bin(self) -> Path:
        return self.path / ("Scripts" if sys.platform == "win32" else "bin")

    @property
    def python(self) -> Path:
        return self.bin / ("python.exe" if sys.platform == "win32" else "python")

    def script(self, name: str) -> Path:
        return self.bin / name

    def install(self, wheels: Sequence[Path]) -> None:
        """Install ``wheels`` (without dependencies, without the index) into this venv."""
        _pip("--python", str(self.python), "install", "--no-deps", "--no-index", *map(str, wheels))

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*args], capture_output=True, text=True, cwd=cwd, timeout=300)


def make_venv(path: Path) -> Venv:
    """Create a venv at ``path`` whose dependencies come from this interpreter's site-packages."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    venv = Venv(path)
    purelib = subprocess.run(
        [str(venv.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    outer = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "_outer_site_packages.pth").write_text("\n".join(sorted(outer)) + "\n")
    return venv


def other_pythons() -> list[str]:
    """Installed CPython 3.9+ interpreters other than this one (real paths), oldest first.

    Looks on PATH (``python3.N``) and in pyenv's versions folder, whose shims refuse to run
    versions that are not selected; each candidate must run and have ``venv``/``ensurepip``.
    """
    import glob
    import os

    pyenv = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    found: list[str] = []
    for minor in range(9, 20):
        if minor == sys.version_info[1]:
            continue
        names = [shutil.which(f"python3.{minor}")]
        names += sorted(
            glob.glob(os.path.join(pyenv, "versions", f"3.{minor}.*", "bin", f"python3.{minor}"))
        )
        for name in names:
            if name is None:
                continue
            try:
                probe = subprocess.run(
                    [name, "-c", "import sys, ensurepip, venv; print(sys.executable)"],
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
            except (OSError, subprocess.TimeoutExpired):
                continue
            if probe.returncode == 0 and probe.stdout.strip():
                found.append(probe.stdout.strip())
                break
    return found
