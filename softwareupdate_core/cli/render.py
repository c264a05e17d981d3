"""Text rendering for the ``softwareupdate`` command: reports, logs and masked configs.

Pure functions from models to lines, so the command stays thin and the wording is tested
without running a check. Nothing here imports requests, pluggy or yaml.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any, Optional

from ..config.settings import DEFAULT_HOST_TARGET
from ..redact import SECRET_KEY as _SECRET_KEY
from ..redact import redact_credentials, redact_value

if TYPE_CHECKING:
    from ..models import (
        CheckReport,
        ReleaseChannels,
        TargetStatus,
        UpdateLogEntry,
        UpdateReport,
    )


#: What each report error code means, in words.
ERROR_WORDS: Mapping[str, str] = {
    "network": "could not reach the server",
    "api": "the server answered with an error",
    "ratelimit": "the API rate limit is used up",
    "check": "the check failed",
    "unknown_check": "unknown check type",
    "update": "the update configuration is wrong",
    "unknown": "unexpected error",
}

#: Check keys whose values are secrets (one policy: :data:`.redact.SECRET_KEY`).
SECRET_KEY = _SECRET_KEY


def ordered_targets(
    statuses: Mapping[str, TargetStatus], host_target: str = DEFAULT_HOST_TARGET
) -> list[TargetStatus]:
    """The host target first, then the others by display name."""
    return sorted(
        statuses.values(),
        key=lambda s: (s.target != host_target, s.display_name.casefold(), s.target),
    )


def status_words(status: TargetStatus) -> str:
    """One phrase for a target's state: up to date, update available, or what went wrong."""
    if status.disabled:
        return f"Disabled: {status.disabled}"
    if status.error and not status.stale:
        words = ERROR_WORDS.get(status.error, status.error)
        detail = f": {status.error_message}" if status.error_message else ""
        if status.error == "check":  # "Check failed (the check failed)" says it twice
            return f"Check failed{detail}"
        return f"Check failed ({words}){detail}"
    if status.update_available:
        if status.update_possible:
            return "Update available"
        return "Update available (manual)"
    info = status.information
    if info is not None:
        # a check may name why there is no version, e.g. "not installed", "no stable release"
        for ref in (info.local, info.remote):
            if ref.value is None and ref.name:
                return ref.name[:1].upper() + ref.name[1:]
    return "Up to date"


def target_block(status: TargetStatus) -> list[str]:
    """The lines shown for one target after a check."""
    lines = [f"{status.display_name} ({status.target})"]
    installed = status.local_version or status.display_version or "unknown"
    lines.append(f"  Installed: {installed}")
    if status.remote_version:
        lines.append(f"  Available: {status.remote_version}")
    lines.append(f"  {status_words(status)}")
    if status.update_available and not status.update_possible and status.not_possible_reason:
        lines.append(f"  Cannot update here: {status.not_possible_reason}")
    if status.stale:
        when = status.checked_at.isoformat(timespec="minutes") if status.checked_at else "earlier"
        words = ERROR_WORDS.get(status.error or "", "the check failed")
        lines.append(f"  (answer from {when}; this check failed: {words})")
    if not status.compatible:
        lines.append("  Not compatible with this environment")
    if status.skipped_version:
        lines.append(f"  Skipped version: {status.skipped_version}")
    if status.information is not None:
        lines.extend(f"  Note: {note}" for note in status.information.notes)
    if status.update_available and status.release_notes:
        lines.append(f"  Release notes: {status.release_notes}")
    return lines


def summary_line(report: CheckReport) -> str:
    """One line counting targets, available updates and failed checks."""
    statuses = list(report.targets.values())
    total = len(statuses)
    updates = sum(1 for s in statuses if s.update_available)
    errors = sum(1 for s in statuses if s.error and not s.stale)
    noun = "target" if total == 1 else "targets"
    if not updates and not errors:
        return f"{total} {noun} checked, all up to date."
    parts = []
    if updates:
        parts.append(f"{updates} update{'s' if updates != 1 else ''} available")
    if errors:
        parts.append(f"{errors} check{'s' if errors != 1 else ''} failed")
    offline = "" if report.online else " (offline)"
    return f"{total} {noun} checked{offline}: " + ", ".join(parts) + "."


def check_lines(
    report: CheckReport, *, only_new: bool = False, host_target: str = DEFAULT_HOST_TARGET
) -> list[str]:
    """The whole text output of ``softwareupdate check``."""
    lines: list[str] = []
    for status in ordered_targets(report.targets, host_target):
        if only_new and not status.update_available and not status.error:
            continue  # failed checks stay: they may hide an update
        lines.extend(target_block(status))
        lines.append("")
    lines.append(summary_line(report))
    return lines


def plan_lines(plan: UpdateReport) -> list[str]:
    """What an update round will do (or would do, for ``--dry-run``)."""
    if plan.refused:
        return [f"Updates are not possible right now: {plan.refused}"]
    lines: list[str] = []
    if plan.order:
        lines.append("Planned order: " + ", ".join(plan.order))
        for name in plan.order:
            result = plan.results.get(name)
            if result is None:
                lines.append(f"  {name}")
                continue
            lines.append(f"  {name}: {_from_to(result.from_version, result.to_version)}")
    else:
        lines.append("Nothing to update.")
    for name, result in plan.results.items():
        if name not in plan.order:
            why = f": {result.text}" if result.text else ""
            lines.append(f"  {name}: not updated{why}")
    if plan.restart:
        lines.append(f"A restart ({plan.restart}) will be needed afterwards.")
    return lines


def _from_to(old: Optional[str], new: Optional[str]) -> str:
    return f"{old or 'unknown'} -> {new or 'unknown'}"


_OUTCOME_WORDS: Mapping[str, str] = {
    "updated": "updated",
    "failed": "FAILED",
    "skipped": "skipped",
    "rolled_back": "FAILED, rolled back",
}

_RESTART_WORDS: Mapping[str, str] = {
    "restarted": "restarted",
    "manual": "needed: please restart it yourself (no restart command is configured)",
    "failed": "FAILED: please restart it yourself",
}


def result_lines(report: UpdateReport) -> list[str]:
    """Per-target results and the restart outcome after an update round."""
    if report.refused:
        return [f"Update refused: {report.refused}"]
    if report.queued and not report.results:
        return ["The update is queued until the host is idle."]
    lines = []
    names = list(report.order) + [n for n in report.results if n not in report.order]
    for name in names:
        result = report.results.get(name)
        if result is None:
            continue
        outcome = _OUTCOME_WORDS.get(result.outcome, result.outcome)
        line = f"{name}: {outcome} ({_from_to(result.from_version, result.to_version)})"
        if result.text and not result.success:
            line += f": {result.text}"
        lines.append(line)
    if not lines:
        lines.append("Nothing was updated.")
    if report.restart:
        what = "the host" if report.restart == "octoprint" else "the machine"
        outcome = _RESTART_WORDS.get(report.restart_outcome or "", report.restart_outcome or "")
        lines.append(f"Restart of {what} ({report.restart}): {outcome or 'needed'}")
    return lines


def interrupted_lines(report: UpdateReport) -> list[str]:
    """The updates of an earlier, killed round whose outcome is unknown."""
    return [
        f"{entry.target}: the update started at "
        f"{entry.datetime.isoformat(sep=' ', timespec='seconds')} "
        f"({_from_to(entry.from_version, entry.to_version)}) was interrupted, outcome unknown"
        for entry in report.interrupted
    ]


#: How the log shows an entry by its ``status`` (None: by its ``success``).
_LOG_STATES: Mapping[str, str] = {"started": "STARTED", "interrupted": "INTERRUPTED"}


def log_lines(entries: Iterable[UpdateLogEntry]) -> list[str]:
    """The update log, one line per entry, oldest first."""
    lines = []
    for entry in entries:
        when = entry.datetime.isoformat(sep=" ", timespec="seconds")
        state = _LOG_STATES.get(entry.status or "") or ("ok" if entry.success else "FAILED")
        text = f"  {entry.text}" if entry.text else ""
        lines.append(
            f"{when}  {entry.display_name} ({entry.target})  "
            f"{_from_to(entry.from_version, entry.to_version)}  {state}{text}"
        )
    return lines or ["The update log is empty."]


def channel_lines(target: str, channels: ReleaseChannels) -> list[str]:
    """The release channels of a target, the followed one marked with ``*``."""
    if not channels.available:
        return [f"{target} has no release channels."]
    lines = [f"Release channels of {target}:"]
    for channel in channels.available:
        mark = "*" if channel.branch == channels.current else " "
        stable = " (stable)" if channel.branch == channels.stable else ""
        lines.append(f"{mark} {channel.branch}: {channel.name}{stable}")
    return lines


def mask_secrets(value: Any, key: str = "") -> Any:
    """A copy of a config value with secrets replaced by ``***`` (:func:`.redact.redact_value`).

    Values under keys that look secret (password, token, ...) are masked, and so are URL
    credentials (``https://user:password@host/``, ``https://token@host/``, ``?token=...``),
    in values and in keys. Objects that are not plain data (a ``python_checker`` callable)
    are shown by their repr.
    """
    return redact_value(value, key)


def mask_credentials(credentials: Mapping[str, Any]) -> dict[str, Any]:
    """Global credentials as ``config show`` prints them (:func:`.redact.redact_credentials`)."""
    return redact_credentials(credentials)


class ProgressLine:
    """A one-line progress display rewritten in place; silent unless the stream is a terminal.

    It is an event sink: feed it every event, it reacts to check progress only. Events may
    arrive from worker threads, hence the lock.
    """

    def __init__(self, stream: IO[str], *, enabled: Optional[bool] = None) -> None:
        self._stream = stream
        self._enabled = _isatty(stream) if enabled is None else enabled
        self._lock = threading.Lock()
        self._width = 0

    def __call__(self, name: str, payload: Mapping[str, Any]) -> None:
        from ..events import CHECK_PROGRESS

        if name == CHECK_PROGRESS:
            done, total = payload.get("done", 0), payload.get("total", 0)
            self.show(f"Checking {done}/{total}: {payload.get('target', '')}")

    def show(self, text: str) -> None:
        if not self._enabled:
            return
        with self._lock:
            pad = max(0, self._width - len(text))
            self._stream.write("\r" + text + " " * pad)
            self._stream.flush()
            self._width = len(text)

    def clear(self) -> None:
        if not self._enabled or not self._width:
            return
        with self._lock:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0


def _isatty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
