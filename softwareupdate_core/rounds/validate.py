"""What ``Manager.validate()`` and an update round check before anything runs.

:func:`validate` gathers every configuration problem by target: the refusals of the parsers
the rounds run (each target's check type and update method ``parse_config``), unknown check
types and update methods, and wrong round settings. :func:`read_round_settings` reads the
seconds-valued settings an update round needs, before it takes the lock, so a wrong one
refuses the round before any updater runs.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..config.effective import Resolved
from ..context import Context
from ..exceptions import ConfigurationInvalid
from ..updaters import select_method
from .restart import DEFAULT_RESTART_TIMEOUT

#: Seconds between ``host.is_busy()`` polls while queued; setting ``busy_poll_interval``.
DEFAULT_BUSY_POLL_INTERVAL = 10.0
#: Seconds to retry taking the update lock before giving up; setting ``lock_wait``.
DEFAULT_LOCK_WAIT = 2.0
#: Seconds a ``verify`` command may run; setting ``verify_timeout``.
DEFAULT_VERIFY_TIMEOUT = 300.0


@attrs.frozen
class RoundSettings:
    """The seconds-valued settings of an update round, read (and checked) before it starts."""

    lock_wait: float
    busy_poll_interval: float
    verify_timeout: float
    restart_timeout: float


def _seconds(settings: Any, key: str, default: float) -> float:
    """A setting in seconds: the typed ``Settings`` field when there is one, else the raw key."""
    value = getattr(settings, key, None)
    if value is None:
        value = settings.extra.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigurationInvalid(
            f"expected a number of seconds, got {value!r}", key=key, source=settings.source
        )
    return float(value)


def read_round_settings(settings: Any) -> RoundSettings:
    """The round's timing settings; ConfigurationInvalid naming a wrong one."""
    return RoundSettings(
        lock_wait=_seconds(settings, "lock_wait", DEFAULT_LOCK_WAIT),
        busy_poll_interval=_seconds(settings, "busy_poll_interval", DEFAULT_BUSY_POLL_INTERVAL),
        verify_timeout=_seconds(settings, "verify_timeout", DEFAULT_VERIFY_TIMEOUT),
        restart_timeout=_seconds(settings, "restart_timeout", DEFAULT_RESTART_TIMEOUT),
    )


def validate(ctx: Context, resolved: Resolved) -> dict[str, str]:
    """Every configuration problem: target (or setting key) -> ``checks.<target>...: why``.

    ``resolved`` must come with the check parsers run (``parse_checks=True``).
    """
    problems = resolved.validation_problems()
    registry = ctx.registry
    for name, check in resolved.checks.items():
        if name in problems:
            continue
        found = []
        if str(check["type"]) not in registry.version_checks:
            found.append(f"checks.{name}.type: unknown check type {check['type']!r}")
        method = select_method(check)
        if method is not None and method not in registry.updaters:
            found.append(f"unknown update method {method!r}")
        if found:
            problems[name] = "; ".join(found)
    for name, why in problems.items():
        if not why.startswith(f"checks.{name}"):
            problems[name] = f"checks.{name}: {why}"
    try:
        read_round_settings(ctx.settings)
    except ConfigurationInvalid as exc:
        problems[exc.key or "settings"] = str(exc)
    return problems
