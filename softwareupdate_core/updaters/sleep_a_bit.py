"""Update method ``sleep_a_bit``: wait a while and log a countdown; changes nothing.

Useful to try update rounds, progress display and restarts during development. The check's
``duration`` (seconds, default 10, at most an hour) says how long.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any, Optional

import attrs

from ..exceptions import ConfigurationInvalid, UpdateError
from ..protocols import UpdaterCapabilities
from ..util import LogCallback

DEFAULT_DURATION = 10.0
MAX_DURATION = 3600.0
#: Needs nothing, restarts nothing.
CAPABILITIES = UpdaterCapabilities(network=False)


@attrs.frozen
class Config:
    """The parsed ``sleep_a_bit`` config."""

    duration: float


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read ``duration`` (seconds, 0 to an hour)."""
    try:
        return Config(_duration(check))
    except UpdateError as exc:
        raise ConfigurationInvalid(str(exc), key=f"checks.{target}.duration") from None


def can_perform_update(target: str, check: Mapping[str, Any], online: bool = True) -> bool:
    """Possible whenever the ``duration`` is valid: sleeping needs nothing else."""
    try:
        parse_config(target, check)
    except ConfigurationInvalid:
        return False
    return True


def perform_update(
    target: str,
    check: Mapping[str, Any],
    target_version: str,
    log_cb: Optional[LogCallback] = None,
    online: bool = True,
    force: bool = False,
) -> None:
    """Sleep ``duration`` seconds, logging the remaining time once per second.

    :raises ConfigurationInvalid: ``duration`` is not a number between 0 and an hour (as
        ``validate`` reports it); nothing is waited for.
    """
    config = parse_config(target, check)
    deadline = time.monotonic() + config.duration
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if log_cb is not None:
            seconds = math.ceil(left)
            unit = "second" if seconds == 1 else "seconds"
            log_cb([f"Updating {target} in {seconds} {unit}..."], stream="message")
        time.sleep(min(1.0, left))
    if log_cb is not None:
        log_cb([f"Done sleeping for {target}"], stream="message")


def _duration(check: Mapping[str, Any]) -> float:
    value = check.get("duration", DEFAULT_DURATION)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UpdateError(f"sleep_a_bit duration must be a number of seconds, not {value!r}")
    if not 0 <= value <= MAX_DURATION:  # also refuses NaN
        raise UpdateError(f"sleep_a_bit duration must be between 0 and {MAX_DURATION:g} seconds")
    return float(value)
