"""One check round: effective configs -> version checks -> CheckReport.

(First slice: no cache, overlays or persisted state yet; the check-round issue adds them.)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional

from .context import Context
from .exceptions import SoftwareUpdateError, UnknownCheckType, error_code
from .models import CheckReport, ReleaseChannels, TargetStatus, VersionInformation
from .plugins import collect
from .protocols import host_call

log = logging.getLogger(__name__)


class CheckRunner:
    """Runs check rounds for one Manager."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._guard: Optional[Callable[[], Optional[str]]] = None

    def set_guard(self, guard: Callable[[], Optional[str]]) -> None:
        """``guard()`` returns why updates are not possible right now, or None."""
        self._guard = guard

    def effective_checks(self) -> dict[str, dict[str, Any]]:
        provided, _owners = collect(self._ctx.plugin_manager, "softwareupdate_check_config")
        merged: dict[str, dict[str, Any]] = {
            name: dict(cfg) for name, cfg in provided.items() if isinstance(cfg, Mapping)
        }
        for name, cfg in self._ctx.settings.checks.items():
            merged[name] = {**merged.get(name, {}), **dict(cfg)}
        return merged

    def check(self, targets: Optional[Iterable[str]] = None, *, force: bool = False) -> CheckReport:
        checks = self.effective_checks()
        names = list(checks) if targets is None else [t for t in targets]
        online = bool(host_call(self._ctx.host, "is_online"))
        workers = max(1, min(self._ctx.settings.max_workers, len(names) or 1))
        with self._ctx.http.round(), ThreadPoolExecutor(workers) as pool:
            statuses = list(pool.map(lambda n: self._check_one(n, checks.get(n), online), names))
        return CheckReport(
            targets={s.target: s for s in statuses},
            online=online,
            checked_at=dt.datetime.fromtimestamp(self._ctx.clock(), dt.timezone.utc),
        )

    def _check_one(self, target: str, check: Optional[Mapping[str, Any]],
                   online: bool) -> TargetStatus:
        now = dt.datetime.fromtimestamp(self._ctx.clock(), dt.timezone.utc)
        if check is None:
            return TargetStatus(target, target, "", error="unknown_check",
                                error_message=f"no check configured for {target!r}",
                                online=online, checked_at=now)
        display_name = str(check.get("displayName") or target)
        type_name = str(check.get("type") or "")
        try:
            checker = self._ctx.registry.version_check(type_name)
            raw, is_current = checker.get_latest(
                target,
                check,
                online=online,
                credentials=self._ctx.settings.credentials_for_checks(),
                http=self._ctx.http,
            )
            info = VersionInformation.coerce(raw)
        except SoftwareUpdateError as exc:
            return TargetStatus(target, display_name, str(check.get("displayVersion") or ""),
                                error=exc.code, error_message=str(exc), online=online,
                                checked_at=now, check_type=type_name)
        except Exception as exc:  # a third-party checker's bug must not fail the round
            log.exception("check of %s failed", target)
            return TargetStatus(target, display_name, str(check.get("displayVersion") or ""),
                                error=error_code(exc), error_message=f"{type(exc).__name__}: {exc}",
                                online=online, checked_at=now, check_type=type_name)
        return TargetStatus(
            target,
            display_name,
            str(check.get("displayVersion") or info.local.name or ""),
            information=info,
            update_available=not is_current,
            update_possible=False,
            online=online,
            release_notes=info.remote.release_notes,
            checked_at=now,
            check_type=type_name,
        )

    def release_channels(self, target: str) -> ReleaseChannels:
        raise UnknownCheckType(f"{target}: release channels arrive with the check-round work")

    def set_release_channel(self, target: str, channel: str) -> None:
        raise UnknownCheckType(f"{target}: release channels arrive with the check-round work")

    def skip(self, target: str, version: str) -> None:
        raise NotImplementedError

    def unskip(self, target: str) -> None:
        raise NotImplementedError

    def invalidate(self, target: str) -> None:
        """Drop the cached answer of ``target``."""

    def record_current(self, target: str, value: str) -> None:
        """Persist ``current`` of a commit-tracking target after an update."""
