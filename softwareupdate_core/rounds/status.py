"""Status building: a target's effective config and check answer into its TargetStatus.

What is shown (display name and version with placeholders filled, release notes), whether an
update is available (a skipped version is not) and whether it is possible (compatible, an
updater that can perform it, the update guard) are decided here, once per target per round.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any, Callable, Optional

import attrs

from ..context import Context
from ..models import ReleaseChannels, TargetStatus, VersionInformation
from ..store.state import StateStore, TargetState
from ..store.version_cache import CacheEntry
from ..updaters import select_method
from ..util import call_plugin, fill_placeholders
from ..version_checks._channels import release_channels

log = logging.getLogger(__name__)


@attrs.frozen
class Answer:
    """What one target's check produced: an entry to show, or an error (maybe with a stale one)."""

    entry: Optional[CacheEntry] = None
    error: Optional[str] = None
    error_message: Optional[str] = None
    stale: bool = False


#: ``displayVersion`` of a target whose installed version is not known.
UNKNOWN_VERSION = "unknown"


#: ``displayVersion`` of a target whose check says an unknown installed version means "not
#: installed" (capability ``absent_means_not_installed``) and found none.
NOT_INSTALLED = "not installed"


def _text(value: Any) -> Optional[str]:
    return None if value is None or value == "" else str(value)


def utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)


def release_channels_of(check: Mapping[str, Any]) -> Optional[ReleaseChannels]:
    """The channels of a check, by the one channel parser; malformed entries are skipped
    rather than raised on: a status must be built for every target."""
    return release_channels(check)


class OncePerRound:
    """The update guard's answer, asked when the first target needs it and kept for the round.

    The guard may read files and package metadata; a round in which no update is possible
    anyway (nothing available, no method) does not ask it at all.
    """

    def __init__(self, ask: Callable[[], Optional[str]]) -> None:
        self._ask = ask
        self._asked = False
        self._reason: Optional[str] = None

    def __call__(self) -> Optional[str]:
        if not self._asked:
            self._reason = self._ask()
            self._asked = True
        return self._reason


class StatusBuilder:
    """Builds the :class:`TargetStatus` of each target of a check round."""

    def __init__(self, ctx: Context, state: StateStore) -> None:
        self._ctx = ctx
        self._state = state

    def status(
        self,
        name: str,
        check: Optional[Mapping[str, Any]],
        answer: Answer,
        online: bool,
        guard: OncePerRound,
        state: Optional[TargetState],
        host_values: Mapping[str, str],
        *,
        update_problem: Optional[str] = None,
    ) -> TargetStatus:
        if check is None:
            return TargetStatus(
                name,
                name,
                "",
                error=answer.error,
                error_message=answer.error_message,
                online=online,
            )
        entry = answer.entry
        info = entry.information if entry is not None else None
        name_template = str(check.get("displayName") or name)
        version_template = check.get("displayVersion")
        if version_template or "{" in name_template or "}" in name_template:
            values: dict[str, Optional[str]] = dict(host_values)
            if info is not None:
                values["local_name"] = info.local.name
                values["local_value"] = info.local.value
            display_name = fill_placeholders(name_template, values)
        else:
            display_name = name_template  # no placeholders: skip building the values
        not_installed = (
            not check.get("current")
            and self._ctx.registry.check_capabilities(
                str(check.get("type"))
            ).absent_means_not_installed
            and info is not None
            and info.local.value is None
        )
        if version_template:
            display_version = fill_placeholders(str(version_template), values)
        elif not_installed:
            display_version = NOT_INSTALLED
        else:
            # as the reference: the installed version, else ``current``, else "unknown"
            local = info.local.name if info is not None else None
            display_version = local or _text(check.get("current")) or UNKNOWN_VERSION

        release_notes = None
        if info is not None:
            template = check.get("release_notes")
            release_notes = (
                fill_placeholders(
                    str(template),
                    {"target_version": info.remote.value, "target_name": info.remote.name},
                )
                if template
                else info.remote.release_notes
            )

        available = entry is not None and not entry.is_current and not not_installed
        skipped = self._skipped(name, info, state) if available else None
        if skipped is not None:
            available = False
        disabled = "disabled in the check config" if check.get("disabled") else None
        compatible = check.get("compatible", True) is not False
        method = select_method(check)
        possible = False
        reason = None
        if update_problem is not None:
            reason = update_problem
        elif disabled is None and answer.error is None and not not_installed:
            # whether the updater could update it, asked whether or not an update is on offer
            possible, reason = self._possible(name, check, method, online, compatible, guard)
        return TargetStatus(
            name,
            display_name,
            display_version,
            information=info,
            update_available=available,
            update_possible=possible,
            online=online,
            error=answer.error,
            error_message=answer.error_message,
            disabled=disabled,
            compatible=compatible,
            release_notes=release_notes,
            release_channels=release_channels_of(check),
            stale=answer.stale,
            checked_at=None if entry is None else utc(entry.stored_at),
            check_type=str(check.get("type")),
            method=method,
            not_possible_reason=reason,
            skipped_version=skipped,
        )

    def host_values(self) -> dict[str, str]:
        """The host's extra display placeholders (``version_placeholders()``), once a round."""
        placeholders = getattr(self._ctx.host, "version_placeholders", None)
        if not callable(placeholders):
            return {}
        try:
            return {str(k): str(v) for k, v in dict(placeholders()).items()}
        except Exception:
            log.exception("the host's version_placeholders() failed")
            return {}

    def _possible(
        self,
        name: str,
        check: Mapping[str, Any],
        method: Optional[str],
        online: bool,
        compatible: bool,
        guard: OncePerRound,
    ) -> tuple[bool, Optional[str]]:
        if not compatible:
            return False, "the update is not compatible with this installation"
        if method is None or method not in self._ctx.registry.updaters:
            return False, f"no update method for {name}" + (f" ({method!r})" if method else "")
        try:
            can = bool(
                call_plugin(
                    self._ctx.registry.updaters[method].can_perform_update,
                    name,
                    check,
                    online=online,
                )
            )
        except Exception as exc:
            log.exception("can_perform_update of %s failed", name)
            return False, f"the {method} updater failed: {exc}"
        if not can:
            return False, f"the {method} updater cannot update {name} now"
        reason = guard()
        if reason is not None:
            return False, reason
        return True, None

    def _skipped(
        self, name: str, info: Optional[VersionInformation], state: Optional[TargetState]
    ) -> Optional[str]:
        """The skipped version if it is the one on offer; a newer one clears the skip."""
        skipped = None if state is None else state.skipped_version
        if skipped is None or info is None:
            return None
        if skipped in (info.remote.value, info.remote.name):
            return skipped
        log.info("%s: version %s appeared, no longer skipping %s", name, info.remote.name, skipped)
        self._state.update(name, skipped_version=None)
        return None
