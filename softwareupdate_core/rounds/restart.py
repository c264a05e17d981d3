"""Restart handling after an update round: which restart a target needs, and doing it.

Kinds are ``"octoprint"`` (the host program) and ``"environment"`` (the whole machine); the
round needs the strongest kind any updated target needs. A configured restart command wins over
``host.restart(kind)``; with neither, the host is told to restart manually. A failing restart is
reported as an event and an outcome, never raised.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Optional

from ..config.settings import DEFAULT_RESTART_TIMEOUT
from ..context import Context
from ..events import RESTART_FAILED, RESTART_MANUALLY, RESTARTING
from ..exceptions import SoftwareUpdateError
from ..protocols import DefaultHost, EventSink, Host
from ..util import run_command

log = logging.getLogger(__name__)

#: Restart the host program.
RESTART_HOST = "octoprint"
#: Restart the whole machine.
RESTART_ENVIRONMENT = "environment"
_STRENGTH: Mapping[str, int] = {RESTART_HOST: 1, RESTART_ENVIRONMENT: 2}
#: Values of a check's ``restart`` key meaning "no restart needed".
_NO_RESTART = frozenset({"", "none", "no", "false"})

#: ``restart_outcome`` values of an update report.
RESTARTED = "restarted"
MANUAL = "manual"
FAILED = "failed"


def restart_kind(check: Mapping[str, Any], default: Optional[str]) -> Optional[str]:
    """The restart ``check`` needs after a successful update, or None.

    An explicit ``restart`` key wins (``none`` disables it); an unknown kind is logged and
    treated as a host restart, the safe reading. Otherwise the update method's ``restart``
    capability (``default``) says.
    """
    value = check.get("restart")
    if value is not None:
        kind = str(value).strip().lower()
        if kind in _NO_RESTART:
            return None
        if kind not in _STRENGTH:
            log.warning("unknown restart kind %r, restarting the host program instead", value)
            return RESTART_HOST
        return kind
    return default


def strongest(kinds: Iterable[Optional[str]]) -> Optional[str]:
    """The strongest of ``kinds`` (``environment`` > ``octoprint``), None if none is needed."""
    best: Optional[str] = None
    for kind in kinds:
        if kind is not None and (best is None or _STRENGTH[kind] > _STRENGTH[best]):
            best = kind
    return best


def perform_restart(
    ctx: Context,
    kind: str,
    *,
    emit: EventSink,
    held_back: Optional[str] = None,
    timeout: float = DEFAULT_RESTART_TIMEOUT,
) -> str:
    """Restart for ``kind`` and return the outcome: ``restarted``, ``manual`` or ``failed``.

    ``emit`` sends the events (the round's sink, which never raises). ``held_back`` is a reason
    not to restart automatically (a failed target); the host is then asked to restart manually.
    Events: RESTARTING before running, RESTART_FAILED with a reason, RESTART_MANUALLY when
    nothing can or may restart.
    """
    if held_back is not None:
        emit(RESTART_MANUALLY, {"kind": kind, "reason": held_back})
        return MANUAL
    command = ctx.settings.restart_commands.for_kind(kind)
    try:
        if command:
            emit(RESTARTING, {"kind": kind})
            log.info("restarting (%s) with %r", kind, command)
            run_command(command, timeout=timeout)
            return RESTARTED
        restart = _host_restart(ctx.host)
        if restart is None:
            emit(RESTART_MANUALLY, {"kind": kind, "reason": "no restart command configured"})
            return MANUAL
        emit(RESTARTING, {"kind": kind})
        restart(kind)
        return RESTARTED
    except (SoftwareUpdateError, ValueError) as exc:
        reason = str(exc)
    except Exception as exc:  # a host's restart bug must not crash the finished round
        log.exception("host restart (%s) failed", kind)
        reason = f"{type(exc).__name__}: {exc}"
    log.warning("restart (%s) failed: %s", kind, reason)
    emit(RESTART_FAILED, {"kind": kind, "reason": reason})
    return FAILED


def _host_restart(host: Host) -> Optional[Callable[[str], Any]]:
    """The host's own ``restart`` method, or None when it has none (or only the default)."""
    restart = getattr(host, "restart", None)
    if restart is None or getattr(type(host), "restart", None) is DefaultHost.restart:
        return None
    return restart  # type: ignore[no-any-return]
