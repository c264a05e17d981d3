"""The ``command_line`` check: a command of the user's says whether an update is available.

Config: ``command`` (mandatory; a string split like a shell would, or a list of arguments;
never run through a shell) and ``timeout`` (seconds, default 60).

As in the reference plugin, exit status 0 means "an update is available" and any other exit
status means "no update". The last non-empty line of stdout is the remote version's display
name and the line before it, if any, the local one. A command that cannot start, is killed
(by the timeout or a signal), or claims an update without printing a version raises
:class:`~softwareupdate_core.exceptions.CheckError`.

While the host is offline the command does not run (it may need the network and hang):
:class:`~softwareupdate_core.exceptions.CannotCheckOffline`, as in the reference, unless the
check sets ``offline: true``; then it runs and its answer says so in ``notes``. The result
has ``needs_online=True`` unless the check sets ``offline: true``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import attrs

from ..exceptions import CheckError, ConfigurationInvalid, ScriptError
from ..models import RemoteRef, VersionInformation, VersionRef
from ..util import CommandResult, run_command, split_command
from . import _capabilities
from ._checkconfig import key_path, parsed_config, require_online, seconds

DEFAULT_TIMEOUT = 60.0
#: The note on an answer obtained while the host was offline (the check has ``offline: true``).
OFFLINE_NOTE = "checked while offline (offline: true)"
#: Display name used when the command printed no line for a version.
UNKNOWN = "unknown"


#: Runs a local command that usually asks a server: offline only with ``offline: true``.
CAPABILITIES = _capabilities.LOCAL_CODE


@attrs.frozen
class Config:
    """The parsed ``command_line`` config."""

    args: tuple[str, ...] = attrs.field(repr=False)  # may hold a secret
    timeout: float


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read ``command`` (mandatory: a string or a list of arguments) and ``timeout``."""
    return Config(
        tuple(_command(check, target)), seconds(target, check, "timeout", DEFAULT_TIMEOUT)
    )


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Run the configured command and read its exit status and last output lines."""
    config = parsed_config(kwargs, Config, parse_config, target, check)
    args, timeout = list(config.args), config.timeout
    require_online(target, check, online, "command_line")
    result = _run(args, timeout, target)
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    update_available = result.returncode == 0
    if update_available and not lines:
        raise CheckError(
            f"{target}: command {args[0]!r} reported an update (exit status 0) "
            "but printed no version on stdout"
        )
    remote = lines[-1] if lines else UNKNOWN
    local = lines[-2] if len(lines) >= 2 else UNKNOWN
    notes: tuple[str, ...] = ()
    if not update_available:
        notes = (f"command exited with status {result.returncode}",)
    if not online:
        notes += (OFFLINE_NOTE,)
    information = VersionInformation(
        local=VersionRef(name=local, value=local),
        remote=RemoteRef(name=remote, value=remote),
        needs_online=not bool(check.get("offline", False)),
        notes=notes,
    )
    return information, not update_available


def _command(check: Mapping[str, Any], target: str) -> list[str]:
    raw = check.get("command")
    if raw is None:
        raise ConfigurationInvalid(
            "is mandatory for the command_line check", key=key_path(target, "command")
        )
    if not isinstance(raw, str) and not (
        isinstance(raw, (list, tuple)) and all(isinstance(p, (str, int, float)) for p in raw)
    ):
        raise ConfigurationInvalid(
            f"expected a string or a list of arguments, got {type(raw).__name__}",
            key=key_path(target, "command"),
        )
    if not raw or (isinstance(raw, str) and not raw.strip()):
        raise ConfigurationInvalid("is empty", key=key_path(target, "command"))
    try:
        return split_command(raw)
    except ValueError:  # not echoing the command: it might hold a secret
        raise ConfigurationInvalid(
            "cannot be split into arguments: unbalanced quotes or a trailing backslash",
            key=key_path(target, "command"),
        ) from None


def _run(args: list[str], timeout: float, target: str) -> CommandResult:
    try:
        result = run_command(args, check=False, timeout=timeout)
    except ScriptError as exc:  # raised only when the command cannot start
        raise CheckError(f"{target}: cannot run command {args[0]!r}: {exc.stderr}") from None
    if result.returncode < 0:
        if result.stderr.endswith(f"killed after {timeout:g} seconds"):
            raise CheckError(
                f"{target}: command {args[0]!r} did not finish within {timeout:g} seconds "
                "and was killed"
            )
        raise CheckError(f"{target}: command {args[0]!r} was killed by signal {-result.returncode}")
    return result
