"""Verifying an update after its updater ran: the installed version and the check's ``verify``.

For the pip method the installed version of the distribution must be the one asked for;
a check's ``verify`` (a dotted module name to import, or a command) then runs in the
environment the update went into. A problem found here makes the round roll back.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Any, Callable, Optional

from packaging.version import InvalidVersion, Version

from ..exceptions import SoftwareUpdateError
from ..protocols import Updater
from ..util import render_command, run_command
from .plan import PlannedUpdate

#: The update method whose installed version is confirmed after an update.
PIP_METHOD = "pip"


_DOTTED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")


def _distribution(check: Mapping[str, Any]) -> Optional[str]:
    """The distribution a pip update installs: ``package`` of a pypi_release check, else
    ``distribution``; None when unknown (the version confirmation is then skipped)."""
    if check.get("type") == "pypi_release" and check.get("package"):
        return str(check["package"])
    value = check.get("distribution")
    return str(value) if value else None


def _is_version(value: str) -> bool:
    try:
        Version(value)
    except InvalidVersion:
        return False
    return True


def _same_version(installed: Optional[str], expected: str) -> bool:
    if installed is None:
        return False
    try:
        return Version(installed) == Version(expected)
    except InvalidVersion:
        return installed == expected


def _target_python(planned: PlannedUpdate, updater: Updater) -> str:
    """The interpreter of the environment the update went into: the pip method's own answer
    (``python_for``) for pip updates, else the running interpreter."""
    python_for = getattr(updater, "python_for", None) if planned.method == PIP_METHOD else None
    if python_for is None:
        return sys.executable
    try:
        return str(python_for(planned.check))
    except SoftwareUpdateError:
        return sys.executable


def verify_update(
    planned: PlannedUpdate,
    updater: Updater,
    log_cb: Callable[..., None],
    verify_timeout: Callable[[], float],
) -> Optional[str]:
    """After an update: the installed version (pip) and the check's ``verify``; or a problem.

    ``verify_timeout()`` is read only when the check has a ``verify`` to run.
    """
    distribution = _distribution(planned.check)
    if planned.method == PIP_METHOD and distribution and hasattr(updater, "installed_version"):
        expected = planned.target_version
        try:
            installed = updater.installed_version(planned.check, distribution)
        except Exception as exc:
            return f"cannot read the installed version of {distribution}: {exc}"
        if _is_version(expected) and not _same_version(installed, expected):
            return (
                f"after the update {distribution} reports version {installed}, expected {expected}"
            )
    verify = planned.check.get("verify")
    if not verify:
        return None
    timeout = verify_timeout()
    python = _target_python(planned, updater)
    if isinstance(verify, str) and _DOTTED_NAME.match(verify):
        command = [python, "-c", f"import {verify}"]
        what = f"importing {verify}"
    else:
        try:
            command = render_command(verify, {"python": python, "target": planned.target})
        except ValueError as exc:
            return f"the verify command is invalid: {exc}"
        what = "the verify command"
    log_cb([f"verifying the update: {what}"], stream="message")
    try:
        run_command(command, log_cb=log_cb, timeout=timeout)
    except SoftwareUpdateError as exc:
        stderr = str(getattr(exc, "stderr", "") or "").strip().splitlines()
        detail = f" ({stderr[-1]})" if stderr else ""
        return f"verification failed, {what}: {exc}{detail}"
    return None
