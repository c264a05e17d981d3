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
from ._commands import command_failure, parse_update_timeout
from ._hostile import check_remote_value

#: The scripts a check may define, in the order they run.
PHASES: tuple[str, ...] = ("pre_update_script", "update_script", "post_update_script")


def can_perform_update(target: str, check: Mapping[str, Any], online: bool = True) -> bool:
    """True when the config parses (a script, an existing folder) and the network is there
    (or the check says it is not needed)."""
    try:
        config = parse_config(target, check)
    except ConfigurationInvalid:
        return False
    return online or config.offline


def perform_update(
    target: str,
    check: Mapping[str, Any],
    target_version: str,
    log_cb: Optional[LogCallback] = None,
    online: bool = True,
    force: bool = False,
) -> None:
    """Run the pre-update, update and post-update scripts in the update folder.

    The config is parsed first (:func:`parse_config`, as ``validate`` does), so a config
    problem refuses the update before any script runs, with the error ``validate`` reports.

    :raises ConfigurationInvalid: a key :func:`parse_config` refuses (missing script or
        folder, malformed command, bad branch or ``update_timeout``), named
        ``checks.<target>.<key>``.
    :raises UpdateError: hostile version, a script running past ``update_timeout``;
        :class:`ScriptError` when a script fails.
    :raises CannotUpdateOffline: offline, unless the check says ``offline: true``.
    """
    config = parse_config(target, check)
    version = check_remote_value(target_version)
    require_online(
        target, check, online, "the update script", network=not config.offline, update=True
    )
    values = _values(config, version, force)
    commands = [(phase, _render(phase, command, values)) for phase, command in config.scripts]
    for phase, args in commands:
        result = run_command(
            args,
            cwd=config.folder,
            log_cb=log_cb,
            check=False,
            timeout=config.update_timeout,
            own_process_group=True,
        )
        if result.returncode != 0:
            raise command_failure(result, f"{phase} {args[0]}", config.update_timeout)


def _values(config: Config, version: str, force: bool) -> dict[str, str]:
    """The placeholder values of the scripts."""
    values = {
        "target": version,
        "folder": config.folder,
        "python": sys.executable,
        "force": "true" if force else "false",
    }
    if config.branch is not None:
        values["branch"] = config.branch
    return values


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
    #: (phase, command) in the order they run.
    scripts: tuple[tuple[str, Any], ...] = attrs.field(repr=False)  # may hold a secret
    update_timeout: float
    #: ``{branch}``: ``update_branch``, else ``branch``, else ``prerelease_channel``.
    branch: Optional[str] = None
    #: ``offline: true``: the scripts need no network.
    offline: bool = False


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read every key the method reads: the scripts (``update_script`` mandatory, each a
    command whose placeholders render), the folder, the branch, ``offline`` and
    ``update_timeout``; raises ConfigurationInvalid naming ``checks.<target>.<key>``."""

    def invalid(key: str, why: str) -> ConfigurationInvalid:
        return ConfigurationInvalid(why, key=f"checks.{target}.{key}")

    if not check.get("update_script"):
        raise invalid("update_script", "is mandatory: the check has no 'update_script'")
    try:
        folder = _folder(check)
    except UpdateError as exc:
        raise invalid("update_folder", str(exc)) from None
    branch: Optional[str] = None
    for key in ("update_branch", "branch", "prerelease_channel"):
        value = check.get(key)
        if value:
            try:
                branch = check_remote_value(value, name="branch", allow_slash=True)
            except UpdateError as exc:
                raise invalid(key, str(exc)) from None
            break
    offline = check.get("offline", False)
    if not isinstance(offline, bool):
        raise invalid("offline", f"expected true or false, got {offline!r}")
    config = Config(
        folder,
        tuple((phase, check[phase]) for phase in PHASES if check.get(phase)),
        parse_update_timeout(target, check),
        branch,
        offline,
    )
    values = _values(config, "0", False)
    for phase, command in config.scripts:
        try:
            _render(phase, command, values)
        except UpdateError as exc:
            raise invalid(phase, str(exc)) from None
    return config
