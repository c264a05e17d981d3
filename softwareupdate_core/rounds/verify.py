"""Verifying an update after its updater ran: the method's own ``verify`` and the check's.

The update method's ``verify`` capability checks its own work first (e.g. the installed
version is the one asked for); a check's ``verify`` (a dotted module name to import, or a
command) then runs in the environment the update went into (the method's ``interpreter``
capability, else the running Python). A problem found here makes the round roll back when
the method has a ``rollback`` capability.
"""

from __future__ import annotations

import re
import sys
from typing import Callable, Optional

from ..exceptions import SoftwareUpdateError
from ..protocols import UpdaterCapabilities
from ..util import render_command, run_command
from .plan import PlannedUpdate

_DOTTED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")


def _target_python(planned: PlannedUpdate, capabilities: UpdaterCapabilities) -> str:
    """The interpreter of the environment the update went into: the method's ``interpreter``
    answer, else the running interpreter."""
    if capabilities.interpreter is None:
        return sys.executable
    try:
        return str(capabilities.interpreter(planned.check))
    except SoftwareUpdateError:
        return sys.executable


def verify_update(
    planned: PlannedUpdate,
    capabilities: UpdaterCapabilities,
    log_cb: Callable[..., None],
    verify_timeout: float,
) -> Optional[str]:
    """After an update: the method's ``verify`` and the check's ``verify``; or a problem."""
    if capabilities.verify is not None:
        problem = capabilities.verify(planned.target, planned.check, planned.target_version)
        if problem is not None:
            return problem
    verify = planned.check.get("verify")
    if not verify:
        return None
    python = _target_python(planned, capabilities)
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
        run_command(command, log_cb=log_cb, timeout=verify_timeout)
    except SoftwareUpdateError as exc:
        stderr = str(getattr(exc, "stderr", "") or "").strip().splitlines()
        detail = f" ({stderr[-1]})" if stderr else ""
        return f"verification failed, {what}: {exc}{detail}"
    return None
