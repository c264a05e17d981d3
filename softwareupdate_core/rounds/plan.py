"""The update plan: which targets a round updates, in which order, and why others are left out.

The host target goes first, then the targets whose update method says they go first (its
``first`` capability: an installer later updates use), then the rest by name. A target is
left out, with a result saying why, when it is disabled, incompatible, failed its check, is
up to date (unless forced), its update config is invalid, or its updater cannot update it
now.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Callable, Optional

import attrs

from ..context import Context
from ..exceptions import SoftwareUpdateError
from ..models import CheckReport, TargetStatus, UpdateResult
from ..redact import redact_urls
from ..updaters import select_method
from ..util import call_plugin
from .restart import restart_kind

log = logging.getLogger(__name__)


# Outcomes of a target in an update round.
UPDATED = "updated"
FAILED = "failed"
SKIPPED = "skipped"
ROLLED_BACK = "rolled_back"
#: Outcome of a target in a dry run (:meth:`.update.UpdateRunner.plan`): it would be updated.
PLANNED = "planned"


@attrs.frozen
class PlannedUpdate:
    """One target the round will update, with everything needed to do and report it."""

    target: str
    check: Mapping[str, Any]
    method: str
    status: TargetStatus
    #: Versions as shown to people.
    from_version: Optional[str]
    to_version: Optional[str]
    #: Versions as handed to the updater (the check's ``value``s).
    from_value: Optional[str]
    target_version: str
    ignorable: bool
    restart: Optional[str]

    def payload(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "from_version": self.from_version,
            "to_version": self.to_version,
        }


@attrs.frozen
class Plan:
    """The targets to update, in order, and the results of those left out."""

    updates: tuple[PlannedUpdate, ...]
    left_out: Mapping[str, UpdateResult]

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(u.target for u in self.updates)


def order_key(
    host_target: str, first: Callable[[str], bool] = lambda name: False
) -> Callable[[str], tuple[int, str]]:
    """Sort key putting the host target first, then those ``first(name)`` says, then the rest
    by name."""

    def key(name: str) -> tuple[int, str]:
        rank = 0 if name == host_target else 1 if first(name) else 2
        return (rank, name)

    return key


def build_plan(
    ctx: Context,
    checks: Mapping[str, Mapping[str, Any]],
    report: CheckReport,
    names: Optional[list[str]],
    force: bool,
    update_problems: Mapping[str, str] = {},
) -> Plan:
    """Decide which targets to update, in which order, and why the others are left out.

    ``checks`` are the round's effective check configs; ``report`` its check report;
    ``update_problems`` the targets whose update config its method's parser refused.
    """
    online = report.online
    updates: list[PlannedUpdate] = []
    left_out: dict[str, UpdateResult] = {}

    def leave(name: str, text: str, outcome: str = SKIPPED) -> None:
        left_out[name] = UpdateResult(name, False, text=redact_urls(text), outcome=outcome)

    for name in names if names is not None else list(report.targets):
        status = report.targets.get(name)
        check = checks.get(name)
        if status is None or check is None:
            leave(name, f"no check configured for {name!r}", FAILED)
            continue
        if status.disabled:
            leave(name, f"disabled: {status.disabled}")
            continue
        if not status.compatible:
            leave(name, "not compatible with this environment")
            continue
        info = status.information
        if status.error is not None or info is None:
            # not updated because of an error: the round must not look successful
            leave(name, f"its check failed ({status.error}): {status.error_message}", FAILED)
            continue
        if not status.update_available and not force:
            leave(name, "already up to date")
            continue
        target_version = info.remote.value or info.local.value
        if target_version is None:
            leave(name, "no version to update to is known")
            continue
        if ctx.settings.update_timeout is not None and check.get("update_timeout") is None:
            # the top-level update_timeout is the default of every check without its own
            check = {**check, "update_timeout": ctx.settings.update_timeout}
        method = select_method(check)
        if method is None:
            leave(name, "no update method configured")
            continue
        if name in update_problems:
            leave(name, update_problems[name], FAILED)
            continue
        try:
            updater = ctx.registry.updater(method)
            possible = bool(call_plugin(updater.can_perform_update, name, check, online=online))
        except SoftwareUpdateError as exc:
            leave(name, str(exc), FAILED)
            continue
        except Exception as exc:  # a third-party updater's bug fails its target, not the round
            log.exception("updater %s cannot tell whether it can update %s", method, name)
            leave(
                name,
                f"the {method} method failed to say whether it can update: "
                f"{type(exc).__name__}: {exc}",
                FAILED,
            )
            continue
        if not possible:
            leave(
                name,
                f"the {method} method cannot update it now" + ("" if online else " (offline)"),
            )
            continue
        updates.append(
            PlannedUpdate(
                target=name,
                check=check,
                method=method,
                status=status,
                # values, not release names, as the reference reports them
                from_version=info.local.value,
                to_version=target_version,
                from_value=info.local.value,
                target_version=target_version,
                ignorable=bool(check.get("ignorable", False)),
                restart=restart_kind(check, ctx.registry.updater_capabilities(method).restart),
            )
        )
    firsts = {u.target for u in updates if _goes_first(ctx, u)}
    key = order_key(ctx.settings.host_target, firsts.__contains__)
    updates.sort(key=lambda u: key(u.target))
    return Plan(tuple(updates), left_out)


def _goes_first(ctx: Context, planned: PlannedUpdate) -> bool:
    """Whether the update method's ``first`` capability puts this target right after the host."""
    first = ctx.registry.updater_capabilities(planned.method).first
    if first is None:
        return False
    try:
        return bool(first(planned.target, planned.check))
    except Exception:
        log.exception("the %s method's first() failed for %s", planned.method, planned.target)
        return False
