"""One target's update step in a round: perform, verify, roll back, record.

:class:`TargetUpdater` runs the update method of one planned target, verifies the result (the
method's ``verify`` capability and the check's ``verify``), rolls back to the previous version
when verification fails and the method can (``rollback`` capability), and records the outcome:
events, the update log (a "started" entry first, so a killed round's update is found later),
the invalidated cached check and, for check types that track ``current``, the new version.
The round (:mod:`.update`) decides what to update and when; this module how.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from .. import events
from ..context import Context
from ..exceptions import SoftwareUpdateError
from ..models import UpdateLogEntry, UpdateResult
from ..protocols import Updater
from ..redact import redact_urls
from ..store.updatelog import UpdateLog
from ..util import call_plugin
from .check import CheckRunner
from .plan import FAILED, ROLLED_BACK, UPDATED, Plan, PlannedUpdate
from .validate import RoundSettings
from .verify import verify_update

log = logging.getLogger(__name__)


class TargetUpdater:
    """Applies the planned updates of a round one target at a time, and records each."""

    def __init__(self, ctx: Context, checks: CheckRunner, updatelog: UpdateLog) -> None:
        self._ctx = ctx
        self._checks = checks
        self._log = updatelog

    def update_one(
        self, planned: PlannedUpdate, timing: RoundSettings, *, online: bool, force: bool
    ) -> UpdateResult:
        target = planned.target
        self._ctx.emit(events.UPDATE_TARGET_STARTED, planned.payload())
        log_cb = self._log_cb(target)
        updater = self._ctx.registry.updater(planned.method)
        capabilities = self._ctx.registry.updater_capabilities(planned.method)
        outcome = UPDATED
        text = f"updated from {planned.from_version} to {planned.to_version}"
        self._record_start(planned)
        problem = self._perform(
            updater, planned, planned.target_version, log_cb, online=online, force=force
        )
        if problem is None:
            try:
                problem = verify_update(planned, capabilities, log_cb, timing.verify_timeout)
            except Exception as exc:  # e.g. a verify command the OS refuses to start
                log.exception("verifying the update of %s failed", target)
                problem = f"verification failed: {type(exc).__name__}: {exc}"
            if problem is not None and capabilities.rollback is not None:
                outcome, text = self._roll_back(
                    planned, capabilities.rollback, problem, log_cb, online=online
                )
        if problem is not None and outcome == UPDATED:
            outcome, text = FAILED, problem
        text = redact_urls(text)

        success = outcome == UPDATED
        if success:
            self._ctx.emit(events.UPDATE_SUCCEEDED, planned.payload())
        else:
            self._ctx.emit(events.UPDATE_FAILED, {**planned.payload(), "reason": text})
            log.warning("update of %s failed: %s", target, text)
        self._record(planned, success, text)
        return UpdateResult(
            target,
            success,
            planned.from_version,
            planned.to_version,
            text=text,
            outcome=outcome,
            restart=planned.restart if success else None,
        )

    def _perform(
        self,
        updater: Updater,
        planned: PlannedUpdate,
        version: str,
        log_cb: Callable[..., None],
        *,
        online: bool,
        force: bool,
    ) -> Optional[str]:
        """Run the updater; return what went wrong, or None."""
        try:
            call_plugin(
                updater.perform_update,
                planned.target,
                planned.check,
                version,
                log_cb=log_cb,
                online=online,
                force=force,
                http=self._ctx.http,
            )
        except SoftwareUpdateError as exc:
            return str(exc) or type(exc).__name__
        except Exception as exc:  # a third-party updater's bug fails its target, not the round
            log.exception("updater %s of %s crashed", planned.method, planned.target)
            return f"{type(exc).__name__}: {exc}"
        return None

    def _roll_back(
        self,
        planned: PlannedUpdate,
        rollback: Callable[..., Any],
        problem: str,
        log_cb: Callable[..., None],
        *,
        online: bool,
    ) -> tuple[str, str]:
        """Reinstall the version from before the update (the method's ``rollback``);
        (outcome, text)."""
        previous = planned.from_value
        if previous is None:
            return FAILED, f"{problem}; cannot roll back, the previous version is unknown"
        log_cb([f"{problem}; rolling back to {previous}"], stream="message")
        failure: Optional[str] = None
        try:
            call_plugin(
                rollback, planned.target, planned.check, previous, log_cb=log_cb, online=online
            )
        except SoftwareUpdateError as exc:
            failure = str(exc) or type(exc).__name__
        except Exception as exc:  # a third-party rollback's bug fails its target, not the round
            log.exception("rollback of %s crashed", planned.target)
            failure = f"{type(exc).__name__}: {exc}"
        if failure is not None:
            return FAILED, f"{problem}; rolling back to {previous} failed: {failure}"
        log_cb([f"rolled back to {previous}"], stream="message")
        return ROLLED_BACK, f"{problem}; rolled back to {planned.from_version}"

    def log_left_out(self, plan: Plan) -> None:
        """Write the selected targets that failed before any update (their check or their
        updater's answer) to the update log, as that target's failure."""
        for name, result in plan.left_out.items():
            if result.outcome != FAILED:
                continue
            entry = UpdateLogEntry(
                datetime=self._log.now(),
                target=name,
                from_version=None,
                to_version=None,
                display_name=name,
                release_notes=None,
                success=False,
                text=result.text,
            )
            try:
                self._log.append(entry)
            except Exception as exc:
                log.warning("cannot write the update log: %s", exc)

    def crashed(self, planned: PlannedUpdate, exc: Exception) -> UpdateResult:
        """The result of a target whose update raised where nothing expected it."""
        text = redact_urls(f"update failed: {type(exc).__name__}: {exc}")
        try:
            self._ctx.emit(events.UPDATE_FAILED, {**planned.payload(), "reason": text})
        except Exception:
            log.exception("the update-failed event of %s could not be sent", planned.target)
        self._record(planned, False, text)
        return UpdateResult(
            planned.target,
            False,
            planned.from_version,
            planned.to_version,
            text=text,
            outcome=FAILED,
        )

    def _record_start(self, planned: PlannedUpdate) -> None:
        """The "update started" log entry, so a killed round's update is found later."""
        try:
            self._log.start(self._entry(planned, False, ""))
        except (OSError, SoftwareUpdateError) as exc:
            log.warning("cannot write the update log: %s", exc)

    def _entry(self, planned: PlannedUpdate, success: bool, text: str) -> UpdateLogEntry:
        return UpdateLogEntry(
            datetime=self._log.now(),
            target=planned.target,
            from_version=planned.from_version,
            to_version=planned.to_version,
            display_name=planned.status.display_name,
            release_notes=planned.status.release_notes,
            success=success,
            text=text,
        )

    def _record(self, planned: PlannedUpdate, success: bool, text: str) -> None:
        """Update log entry, cache invalidation and persisted ``current`` for one target."""
        entry = self._entry(planned, success, text)
        try:
            self._log.finish(entry)
        except Exception as exc:
            log.warning("cannot write the update log: %s", exc)
        try:
            self._checks.invalidate(planned.target)
            tracks = self._ctx.registry.check_capabilities(str(planned.check.get("type")))
            if success and tracks.tracks_current is not None:
                self._checks.record_current(planned.target, planned.target_version)
        except Exception as exc:
            log.warning("cannot record the new state of %s: %s", planned.target, exc)

    def _log_cb(self, target: str) -> Callable[..., None]:
        def log_cb(lines: Any, prefix: Optional[str] = None, stream: Optional[str] = None) -> None:
            if isinstance(lines, (str, bytes)):
                lines = [lines]
            for line in lines:
                text = line.decode("utf-8", "replace") if isinstance(line, bytes) else str(line)
                text = redact_urls(text)
                log.debug("%s [%s] %s", target, stream or "message", text)
                self._ctx.emit(
                    events.UPDATE_LOG_LINE,
                    {"target": target, "stream": stream or "message", "line": text},
                )

        return log_cb
