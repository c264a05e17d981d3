"""Update method ``update_script``: run a configured command in the component's folder.

Config keys of a check:

* ``update_script`` (mandatory): a command string (split with :func:`shlex.split`) or list.
  Placeholders, filled after splitting so each value stays one argument: ``{target}`` (the
  version to update to), ``{branch}`` (the check's ``update_branch``, OctoPrint's key, set
  by the check round from the release channel when not configured; else ``branch``, else
  ``prerelease_channel``), ``{folder}``, ``{python}`` (the running interpreter) and
  ``{force}`` (``true``/``false``).
* ``update_folder`` or ``checkout_folder`` (mandatory): an existing folder; every script runs
  there.
* ``pre_update_script`` / ``post_update_script``: run before / after, same placeholders.
* ``offline``: true when the script needs no network, so it may run while offline.
* ``update_timeout``: seconds each script may run before it is stopped (default 3600).

Each line the scripts print goes to ``log_cb`` as it arrives. Scripts run in their own
process group (POSIX), so a timeout stops everything they started. A script that exits non-zero
stops the update with a :class:`~softwareupdate_core.exceptions.ScriptError` carrying its
output. The target version and branch are validated before anything runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any, Optional

import attrs

from ..exceptions import ConfigurationInvalid, UpdateError
from ..protocols import UpdaterCapabilities, require_online
from ..util import Command, LogCallback, render_command, run_command
from ._commands import command_failure, update_timeout
from ._hostile import check_remote_value

#: The scripts a check may define, in the order they run.
PHASES: tuple[str, ...] = ("pre_update_script", "update_script", "post_update_script")


def can_perform_update(target: str, check: Mapping[str, Any], online: bool = True) -> bool:
    """True when the check has a script and an existing folder (and network, unless offline)."""
    if not check.get("update_script"):
        return False
    if not online and check.get("offline") is not True:
        return False
    folder = _folder_value(check)
    return folder is not None and os.path.isdir(folder)


def perform_update(
    target: str,
    check: Mapping[str, Any],
    target_version: str,
    log_cb: Optional[LogCallback] = None,
    online: bool = True,
    force: bool = False,
) -> None:
    """Run the pre-update, update and post-update scripts in the update folder.

    :raises UpdateError: hostile version or branch, missing script or folder, bad
        placeholders, a script running past ``update_timeout``; :class:`ScriptError` when a
        script fails.
    :raises ConfigurationInvalid: ``update_timeout`` is not a positive number.
    :raises CannotUpdateOffline: offline, unless the check says ``offline: true``.
    """
    version = check_remote_value(target_version)
    if not check.get("update_script"):
        raise UpdateError("the check has no 'update_script'")
    timeout = update_timeout(check)
    require_online(target, check, online, "the update script", update=True)
    folder = _folder(check)
    values = {
        "target": version,
        "folder": folder,
        "python": sys.executable,
        "force": "true" if force else "false",
    }
    branch = check.get("update_branch") or check.get("branch") or check.get("prerelease_channel")
    if branch:
        values["branch"] = check_remote_value(branch, name="branch", allow_slash=True)

    commands = [
        (phase, _render(phase, check[phase], values)) for phase in PHASES if check.get(phase)
    ]
    for phase, args in commands:
        result = run_command(
            args, cwd=folder, log_cb=log_cb, check=False, timeout=timeout, own_process_group=True
        )
        if result.returncode != 0:
            raise command_failure(result, f"{phase} {args[0]}", timeout)


def _render(phase: str, command: Command, values: Mapping[str, str]) -> list[str]:
    if not isinstance(command, (str, list, tuple)):
        raise UpdateError(f"{phase} must be a string or a list, not {type(command).__name__}")
    try:
        args = render_command(command, values)
    except ValueError as exc:
        raise UpdateError(f"{phase}: {exc}") from None
    if "branch" not in values and any("{branch}" in arg for arg in args):
        raise UpdateError(f"{phase} uses {{branch}} but the check has no branch or channel")
    return args


def _folder_value(check: Mapping[str, Any]) -> Optional[str]:
    value = check.get("update_folder") or check.get("checkout_folder")
    if isinstance(value, (str, os.PathLike)) and os.fspath(value):
        return os.fspath(value)
    return None


def _folder(check: Mapping[str, Any]) -> str:
    folder = _folder_value(check)
    if folder is None:
        raise UpdateError("update_script needs an update_folder or checkout_folder")
    if not os.path.isdir(folder):
        raise UpdateError(f"update folder {folder!r} is not an existing folder")
    return folder


#: Usually pulls from a server (offline only with ``offline: true``); the host restarts to
#: run the new code; a script can check out an older version.
CAPABILITIES = UpdaterCapabilities(restart="octoprint", installs_older=True)


@attrs.frozen
class Config:
    """The parsed ``update_script`` config."""

    folder: str
    scripts: Mapping[str, Any] = attrs.field(repr=False)  # may hold a secret
    update_timeout: float


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read the scripts (``update_script`` mandatory), the folder and ``update_timeout``."""
    if not check.get("update_script"):
        raise ConfigurationInvalid("is mandatory", key=f"checks.{target}.update_script")
    scripts = {phase: check[phase] for phase in PHASES if check.get(phase)}
    for phase, command in scripts.items():
        if not isinstance(command, (str, list, tuple)):
            raise ConfigurationInvalid(
                f"expected a string or a list, not {type(command).__name__}",
                key=f"checks.{target}.{phase}",
            )
    try:
        folder = _folder(check)
    except UpdateError as exc:
        raise ConfigurationInvalid(str(exc), key=f"checks.{target}.update_folder") from None
    try:
        timeout = update_timeout(check)
    except ConfigurationInvalid as exc:
        raise ConfigurationInvalid(
            str(exc).removeprefix("update_timeout: "), key=f"checks.{target}.update_timeout"
        ) from None
    return Config(folder, scripts, timeout)
