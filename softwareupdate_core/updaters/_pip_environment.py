"""Questions to the Python environment a ``pip`` update installs into: which interpreter,
where it installs (``--user`` or not), which version of a distribution it has.

Each runs the target interpreter with a small fixed probe and a deadline; names arrive as
arguments, never as code.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import attrs

from ..exceptions import ScriptError, UpdateError
from ..redact import redact_urls
from ..util import LogCallback, run_command

#: Seconds allowed for the small probes run with the target python.
PROBE_TIMEOUT = 60.0

_PIP_NAME = re.compile(r"pip[0-9.]*(\.exe)?", re.IGNORECASE)

_SITE_PROBE = (
    "import json, os, site, sysconfig\n"
    "purelib = sysconfig.get_paths()['purelib']\n"
    "print(json.dumps({'purelib': purelib, 'writable': os.access(purelib, os.W_OK),"
    " 'user_site': bool(site.ENABLE_USER_SITE)}))\n"
)

# The distribution name arrives as sys.argv[1], never as part of the code.
_VERSION_PROBE = (
    "import sys\n"
    "from importlib.metadata import PackageNotFoundError, version\n"
    "try:\n"
    "    print(version(sys.argv[1]))\n"
    "except PackageNotFoundError:\n"
    "    sys.exit(3)\n"
)
_NOT_INSTALLED = 3


@attrs.frozen
class SiteInfo:
    """Where the target python installs packages, and whether pip needs ``--user``."""

    purelib: str
    writable: bool
    user_site: bool

    @property
    def needs_user(self) -> bool:
        """True when only a user install can succeed."""
        return not self.writable and self.user_site


def python_of(command: Sequence[str]) -> str:
    """The python of the environment the pip command ``command`` installs into."""
    if len(command) >= 3 and command[1] == "-m" and command[2] == "pip":
        return command[0]
    if _PIP_NAME.fullmatch(Path(command[0]).name):
        found = shutil.which(command[0])
        if found:
            beside = _python_beside(Path(found))
            if beside:
                return beside
    return sys.executable


def _python_beside(pip: Path) -> Optional[str]:
    for name in ("python", "python3", "python.exe"):
        candidate = pip.parent / name
        if candidate.is_file():
            return str(candidate)
    try:
        with pip.open("rb") as handle:
            first = handle.readline(512).decode("utf-8", "replace")
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    words = first[2:].split()
    if not words:
        return None
    if Path(words[0]).name == "env" and len(words) > 1:
        return shutil.which(words[1])
    return words[0] if Path(words[0]).is_file() else None


def site_info_of(python: str, log_cb: Optional[LogCallback]) -> Optional[SiteInfo]:
    """Ask ``python`` where it installs; None (and a log line) if it cannot tell."""
    try:
        result = run_command([python, "-c", _SITE_PROBE], check=False, timeout=PROBE_TIMEOUT)
    except ScriptError as exc:
        message(log_cb, f"cannot ask {python} about its site-packages: {exc.stderr}")
        return None
    try:
        data = json.loads(result.stdout.strip().splitlines()[-1])
        return SiteInfo(str(data["purelib"]), bool(data["writable"]), bool(data["user_site"]))
    except (IndexError, ValueError, KeyError, TypeError):
        message(log_cb, f"cannot ask {python} about its site-packages: {result.stderr.strip()}")
        return None


def installed_version_in(python: str, distribution: str) -> Optional[str]:
    """The version of ``distribution`` ``python`` has installed, or None.

    :raises UpdateError: ``python`` cannot be run or answered nonsense.
    """
    result = run_command(
        [python, "-c", _VERSION_PROBE, distribution], check=False, timeout=PROBE_TIMEOUT
    )
    if result.returncode == _NOT_INSTALLED:
        return None
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise UpdateError(
            f"cannot read the installed version of {distribution!r} with {python}",
            data={"stdout": result.stdout, "stderr": result.stderr},
        )
    return lines[-1].strip()


def message(log_cb: Optional[LogCallback], text: str) -> None:
    if log_cb is not None:
        log_cb([redact_urls(text)], stream="message")
