"""What the command-running update methods (pip, update_script) share: timeout and errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..exceptions import ConfigurationInvalid, ScriptError, UpdateError
from ..redact import redact_urls
from ..util import CommandResult

#: Seconds a pip run or update script may take; check key ``update_timeout``.
DEFAULT_UPDATE_TIMEOUT = 3600.0


def update_timeout(check: Mapping[str, Any]) -> float:
    """The check's ``update_timeout`` in seconds (default :data:`DEFAULT_UPDATE_TIMEOUT`).

    :raises ConfigurationInvalid: not a positive number.
    """
    value = check.get("update_timeout")
    if value is None:
        return DEFAULT_UPDATE_TIMEOUT
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1e9:
        raise ConfigurationInvalid(
            f"expected a positive number of seconds, got {value!r}", key="update_timeout"
        )
    return float(value)


def parse_update_timeout(target: str, check: Mapping[str, Any]) -> float:
    """:func:`update_timeout` for ``parse_config``: a refusal names the key
    ``checks.<target>.update_timeout``."""
    try:
        return update_timeout(check)
    except ConfigurationInvalid as exc:
        raise ConfigurationInvalid(
            str(exc).removeprefix("update_timeout: "), key=f"checks.{target}.update_timeout"
        ) from None


def command_failure(result: CommandResult, what: str, timeout: float) -> UpdateError:
    """The error for a failed update command: it timed out, or a ScriptError with its output.

    ``what`` names the command in the message; URL credentials in it are masked.
    """
    what = redact_urls(what)
    if result.returncode == -9 and result.stderr.endswith(f"killed after {timeout:g} seconds"):
        return UpdateError(
            f"{what!r} did not finish within {timeout:g} seconds (update_timeout) and was stopped",
            data={"stdout": result.stdout, "stderr": result.stderr},
        )
    return ScriptError(result.returncode, result.stdout, result.stderr, command=what)
