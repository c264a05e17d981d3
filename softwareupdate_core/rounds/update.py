"""One update round: lock -> guards -> check -> plan -> wait while busy -> updates -> restart.

A round runs only when it is safe: one run at a time across processes (a lock file in the data
folder), enough free space, a host that is not throttled, a new enough Python, and the
``guard`` capability of each planned update method (e.g. a new enough installer). A busy
host (printing) makes the round wait until it is idle or the queue is cancelled. Targets are
updated host first, then those their method puts first, then the rest by name. Each target's
outcome is announced as an event, written to the update log, and invalidates its cached
check; updates are verified (the method's ``verify`` capability, the check's ``verify``) and
rolled back to the previous version when verification fails and the method can
(``rollback`` capability); that per-target step is :mod:`.apply`. The strongest restart any
updated target needs runs at the end, after the lock is released.

The round resolves the effective configuration once (:class:`~..config.effective.Resolved`)
and its check, statuses, plan and guards all read that value. Settings are read before the
lock is taken: a wrong one refuses the round before anything runs.

A failing target never ends the round: every planned target is attempted, as in the
reference, and every failure, expected or not (a crashing updater, a ``verify`` command that
cannot even start), is caught, logged in the update log as that target's failure, and the
round goes on. A failure of a target whose check is not ``ignorable`` (the default) only holds
back the restart, which is left to the administrator (``restart_manually``) because the system
is in a state nobody planned.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Optional

import attrs

from .. import events
from ..config.effective import Resolved
from ..context import Context
from ..exceptions import SoftwareUpdateError
from ..models import CheckReport, UpdateLogEntry, UpdateReport, UpdateResult
from ..protocols import host_answer
from ..redact import redact_urls
from ..store.updatelog import UPDATE_LOG_FILE_NAME, UpdateLog
from ..updaters import select_method
from ..util import inherited_by_commands
from .apply import TargetUpdater
from .check import CheckRunner
from .guards import (
    LOCK_FILE_NAME,
    UpdateLock,
    free_space_reason,
    python_reason,
    storage_folders,
    throttled_reason,
)
from .plan import (
    PLANNED,
    SKIPPED,
    UPDATED,
    Plan,
    build_plan,
)
from .restart import perform_restart, strongest
from .validate import RoundSettings, read_round_settings, validate

log = logging.getLogger(__name__)

#: The refusal of a queued round whose queue was cancelled.
CANCELLED = "cancelled while waiting for the host to be idle"


class UpdateRunner:
    """Runs update rounds for one Manager and answers whether updates may run now."""

    def __init__(self, ctx: Context, checks: CheckRunner) -> None:
        self._ctx = ctx
        self._checks = checks
        self._log = UpdateLog(
            ctx.data_folder / UPDATE_LOG_FILE_NAME,
            cutoff_minutes=ctx.settings.updatelog_cutoff,
            clock=ctx.clock,
        )
        self._apply = TargetUpdater(ctx, checks, self._log)
        self._lock_path = ctx.data_folder / LOCK_FILE_NAME
        self._state = threading.Lock()
        self._cancel: Optional[threading.Event] = None
        self._running = False
        checks.set_guard(self.blocking_reason)

    # -- public -------------------------------------------------------------------------

    def update(
        self, targets: Optional[Iterable[str]] = None, *, force: bool = False
    ) -> UpdateReport:
        """Update ``targets`` (default: all with an update); blocks until done.

        Raises :class:`UpdateAlreadyInProgress` when another run (any process) holds the lock.
        A failing guard gives a report with ``refused`` set and nothing changed.
        """
        names = None if targets is None else list(targets)
        timing = self.round_settings()  # a wrong setting refuses the round before anything
        lock = UpdateLock(self._lock_path, wait=timing.lock_wait)
        lock.acquire()
        held_back: Optional[str] = None
        try:
            with self._state:
                self._running = True
            interrupted = self._close_interrupted()
            with inherited_by_commands(lock.fileno()):  # a killed round's command keeps it
                report, held_back = self._run(names, force, timing)
            report = attrs.evolve(report, interrupted=interrupted)
        finally:
            with self._state:
                self._running = False
            lock.release()
        if report.restart is not None and report.refused is None:
            outcome = perform_restart(
                self._ctx,
                report.restart,
                emit=self._ctx.emit,
                held_back=held_back,
                timeout=timing.restart_timeout,
            )
            report = attrs.evolve(report, restart_outcome=outcome)
        return report

    def plan(self, targets: Optional[Iterable[str]] = None, *, force: bool = False) -> UpdateReport:
        """What :meth:`update` would do now, changing nothing: order, outcomes, restart, refusal.

        Targets that would be updated have outcome ``planned``; ``queued`` says the round would
        wait for a busy host; ``refused`` names a failing guard.
        """
        names = None if targets is None else list(targets)
        resolved = self._checks.resolve(force=force)
        refused = self.blocking_reason(resolved)
        report = self._checks.check(names, force=force, resolved=resolved)
        plan = self._plan(report, names, force, resolved)
        refused = refused or self._method_reason(plan)
        results: dict[str, UpdateResult] = {
            u.target: UpdateResult(
                u.target,
                True,
                u.from_version,
                u.to_version,
                text=f"would update from {u.from_version} to {u.to_version} with {u.method}",
                outcome=PLANNED,
                restart=u.restart,
            )
            for u in plan.updates
        }
        results.update(plan.left_out)
        return UpdateReport(
            results=results,
            order=plan.order,
            restart=strongest(u.restart for u in plan.updates),
            refused=refused,
            queued=bool(plan.updates) and self._host_busy(),
        )

    def cancel_queue(self) -> bool:
        """Cancel a round waiting for the host to become idle; True if one was waiting."""
        with self._state:
            event = self._cancel
            if event is None or event.is_set():
                return False
            event.set()
            return True

    def update_log(self) -> list[UpdateLogEntry]:
        """The persisted update log, oldest first, without entries past the cut-off."""
        return self._log.entries()

    def round_settings(self) -> RoundSettings:
        """The round's timing settings; ConfigurationInvalid naming a wrong one."""
        return read_round_settings(self._ctx.settings)

    def validate(self) -> dict[str, str]:
        """Every configuration problem, by target (see :meth:`Manager.validate`)."""
        return validate(self._ctx, self._checks.resolve(parse_checks=True))

    def blocking_reason(self, resolved: Optional[Resolved] = None) -> Optional[str]:
        """Why updates cannot run now (a failing guard or a run in progress), or None.

        ``resolved`` is the round's effective configuration (resolved here when not given).
        """
        with self._state:
            if self._running:
                return "an update run is in progress"
        if resolved is None:
            resolved = self._checks.resolve()
        reason = self._environment_reason(resolved)
        if reason is not None:
            return reason
        reason = UpdateLock(self._lock_path, wait=0).probe()
        if reason is not None:
            return reason
        methods = {select_method(check) for check in resolved.checks.values()}
        return self._guards_reason(m for m in methods if m is not None)

    # -- the round ----------------------------------------------------------------------

    def _run(
        self, names: Optional[list[str]], force: bool, timing: RoundSettings
    ) -> tuple[UpdateReport, Optional[str]]:
        """The round under the lock; returns the report and a reason to hold back a restart."""
        resolved = self._checks.resolve(force=force)
        reason = self._environment_reason(resolved)
        if reason is not None:
            return self._refuse(reason), None
        checked = self._checks.check(names, force=force, resolved=resolved)
        plan = self._plan(checked, names, force, resolved)
        reason = self._method_reason(plan)
        if reason is not None:
            return self._refuse(reason, plan), None
        if not plan.updates:
            self._apply.log_left_out(plan)
            return UpdateReport(results=dict(plan.left_out)), None

        queued = self._host_busy()
        if queued:
            if not self._wait_until_idle(plan.order, timing.busy_poll_interval):
                return self._refuse(CANCELLED, plan, queued=True), None
            reason = self._environment_reason(resolved)
            if reason is not None:
                return self._refuse(reason, plan, queued=True), None

        online = host_answer(self._ctx.host, "is_online", True)
        self._ctx.emit(events.UPDATE_STARTED, {"targets": list(plan.order)})
        results: dict[str, UpdateResult] = {}
        failed: list[str] = []
        for planned in plan.updates:
            try:
                result = self._apply.update_one(planned, timing, online=online, force=force)
            except Exception as exc:  # whatever broke, it is this target's failure only
                log.exception("update of %s failed unexpectedly", planned.target)
                result = self._apply.crashed(planned, exc)
            results[planned.target] = result
            if not result.success and not planned.ignorable:
                failed.append(planned.target)
        self._apply.log_left_out(plan)
        results.update(plan.left_out)
        success = all(r.success or r.outcome == SKIPPED for r in results.values())
        self._ctx.emit(
            events.UPDATE_FINISHED,
            {"success": success, "results": {t: r.success for t, r in results.items()}},
        )
        kind = strongest(r.restart for r in results.values() if r.outcome == UPDATED)
        held_back = None
        if failed:
            held_back = f"the update of {', '.join(failed)} failed"
        report = UpdateReport(results=results, order=plan.order, restart=kind, queued=queued)
        return report, held_back

    def _refuse(
        self, reason: str, plan: Optional[Plan] = None, *, queued: bool = False
    ) -> UpdateReport:
        reason = redact_urls(reason)
        log.warning("update round refused: %s", reason)
        order = () if plan is None else plan.order
        return UpdateReport(order=order, refused=reason, queued=queued)

    def _environment_reason(self, resolved: Resolved) -> Optional[str]:
        """The guards that do not depend on the targets: free space, throttling, Python."""
        settings = self._ctx.settings
        return (
            free_space_reason(
                storage_folders(settings, resolved.checks.values()),
                settings.minimum_free_storage,
            )
            or throttled_reason(self._ctx.host, settings.ignore_throttled)
            or python_reason(settings.minimum_python)
        )

    def _method_reason(self, plan: Plan) -> Optional[str]:
        """Why a planned update method cannot run now (its ``guard`` capability), or None."""
        return self._guards_reason(dict.fromkeys(u.method for u in plan.updates))

    def _guards_reason(self, methods: Iterable[str]) -> Optional[str]:
        """The first refusal of the ``guard`` capabilities of ``methods``, or None."""
        registry = self._ctx.registry
        for method in sorted(methods):
            guard = registry.updater_capabilities(method).guard
            if guard is None:
                continue
            try:
                reason = guard(self._ctx.settings)
            except Exception as exc:
                log.exception("the guard of update method %s failed", method)
                reason = f"cannot tell whether the {method} method can run: {exc}"
            if reason is not None:
                return reason
        return None

    def _wait_until_idle(self, order: tuple[str, ...], interval: float) -> bool:
        """Wait while the host is busy; False if the queue was cancelled meanwhile."""
        event = threading.Event()
        with self._state:
            self._cancel = event
        self._ctx.emit(events.UPDATE_QUEUED, {"targets": list(order)})
        log.info("host is busy, update of %s queued", ", ".join(order))
        try:
            while self._host_busy():
                if event.wait(interval):
                    self._ctx.emit(events.UPDATE_QUEUE_CANCELLED, {"targets": list(order)})
                    return False
            return True
        finally:
            with self._state:
                self._cancel = None

    # -- planning -----------------------------------------------------------------------

    def _plan(
        self, report: CheckReport, names: Optional[list[str]], force: bool, resolved: Resolved
    ) -> Plan:
        """Decide which targets to update, in which order, and why the others are left out."""
        return build_plan(
            self._ctx, resolved.checks, report, names, force, resolved.update_problems
        )

    def _close_interrupted(self) -> tuple[UpdateLogEntry, ...]:
        """The updates a killed earlier round left unfinished, now marked in the log."""
        try:
            return tuple(self._log.close_interrupted())
        except (OSError, SoftwareUpdateError) as exc:
            log.warning("cannot look for interrupted updates in the update log: %s", exc)
            return ()

    # -- helpers ------------------------------------------------------------------------

    def _host_busy(self) -> bool:
        """Whether the host is busy; a host that cannot tell counts as busy (the round waits,
        and the queue can be cancelled)."""
        return host_answer(self._ctx.host, "is_busy", True)

    def _host_target(self) -> str:
        return self._ctx.settings.host_target
