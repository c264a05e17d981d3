"""What ``Manager.validate()`` and an update round check before anything runs.

:func:`validate` gathers every configuration problem by target: the refusals of the parsers
the rounds run (each target's check type and update method ``parse_config``), unknown check
types and update methods, and wrong round settings. :func:`read_round_settings` reads the
seconds-valued settings an update round needs, before it takes the lock, so a wrong one
refuses the round before any updater runs.
"""

from __future__ import annotations

import attrs

from ..config.effective import Resolved
from ..config.settings import Settings
from ..context import Context
from ..exceptions import ConfigurationInvalid
from ..updaters import select_method


@attrs.frozen
class RoundSettings:
    """The seconds-valued settings of an update round, read (and checked) before it starts."""

    lock_wait: float
    busy_poll_interval: float
    verify_timeout: float
    restart_timeout: float


def read_round_settings(settings: Settings) -> RoundSettings:
    """The round's timing settings (typed and range-checked when the settings were loaded)."""
    return RoundSettings(
        lock_wait=settings.lock_wait,
        busy_poll_interval=settings.busy_poll_interval,
        verify_timeout=settings.verify_timeout,
        restart_timeout=settings.restart_timeout,
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
