"""Build tiny wheels and throwaway virtualenvs for tests, without network or a build backend.

A wheel is a zip file with the package's files and a ``<name>-<version>.dist-info`` folder
holding ``METADATA``, ``WHEEL`` and ``RECORD``; :func:`build_wheel` writes exactly that.
Other tests (update rounds, rollback) reuse these helpers::

    wheel = build_wheel(tmp_path, "demo-pkg", "1.0", "VALUE = 1\\n")
    python = make_venv(tmp_path / "venv")
"""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path


def module_name(name: str) -> str:
    """The import name of a test distribution: ``demo-pkg`` imports as ``demo_pkg``."""
    return re.sub(r"[-.]+", "_", name).lower()


def wheel_filename(name: str, version: str) -> str:
    """The file name pip expects for a pure-Python wheel of ``name`` ``version``."""
    return f"{module_name(name)}-{version}-py3-none-any.whl"


def build_wheel(
    directory: Path,
    name: str,
    version: str,
    module_source: str = "",
    *,
    requires: Sequence[str] = (),
) -> Path:
    """Write a wheel of ``name`` ``version`` into ``directory`` and return its path.

    The wheel holds one package, ``module_name(name)``, whose ``__init__.py`` is
    ``module_source`` followed by ``__version__ = "<version>"``. ``requires`` become
    ``Requires-Dist`` lines.
    """
    directory.mkdir(parents=True, exist_ok=True)
    package = module_name(name)
    dist_info = f"{package}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {req}\n" for req in requires)
    files = {
        f"{package}/__init__.py": f"{module_source}\n__version__ = {version!r}\n",
        f"{dist_info}/METADATA": metadata,
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: tests.wheels\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ),
    }
    record_lines = [
        f"{path},{_digest(text.encode())},{len(text.encode())}" for path, text in files.items()
    ]
    record_lines.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = "\n".join(record_lines) + "\n"
    path = directory / wheel_filename(name, version)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return path


def _digest(data: bytes) -> str:
    raw = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def make_venv(folder: Path) -> Path:
    """Create a virtualenv with pip (from the standard library's bundled copy); its python."""
    subprocess.run(
        [sys.executable, "-m", "venv", str(folder)], check=True, capture_output=True, timeout=300
    )
    python = folder / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    assert python.is_file(), f"venv at {folder} has no python"
    return python
