"""One update round (placeholder until the update issue lands)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional

from .checking import CheckRunner
from .context import Context
from .models import UpdateLogEntry, UpdateReport


class UpdateRunner:
    """Runs update rounds for one Manager."""

    def __init__(self, ctx: Context, checks: CheckRunner) -> None:
        self._ctx = ctx
        self._checks = checks

    def update(self, targets: Optional[Iterable[str]] = None, *, force: bool = False) -> UpdateReport:
        raise NotImplementedError

    def plan(self, targets: Optional[Iterable[str]] = None, *, force: bool = False) -> UpdateReport:
        raise NotImplementedError

    def cancel_queue(self) -> bool:
        return False

    def update_log(self) -> list[UpdateLogEntry]:
        return []

    def blocking_reason(self) -> Optional[str]:
        return None
