"""Public value types; ``as_dict()`` gives the dict shapes of OctoPrint's API.

Inside the library these frozen attrs classes travel instead of loose dicts; dicts appear
only at the edges (third-party checkers returning OctoPrint's dict shape, JSON output).
"""

from __future__ import annotations

import datetime as _dt
import enum
import re
from collections.abc import Mapping
from typing import Any, Optional, Union

import attrs

from .exceptions import CheckError, ErrorCode
from .redact import redact_text
from .remote_values import clean_text


def _opt_str(value: object) -> Optional[str]:
    return None if value is None else str(value)


class CheckStatus(str, enum.Enum):
    """A check report's overall status, as OctoPrint names it; equal to its string."""

    CURRENT = "current"
    UPDATE_AVAILABLE = "updateAvailable"
    UPDATE_POSSIBLE = "updatePossible"

    def __str__(self) -> str:  # the plain value, as enum.StrEnum (3.11+) does
        return str(self.value)


class RestartKind(str, enum.Enum):
    """What must restart after an update: the host program or its whole environment."""

    OCTOPRINT = "octoprint"
    ENVIRONMENT = "environment"

    def __str__(self) -> str:
        return str(self.value)


def _opt_code(value: object) -> Optional[ErrorCode]:
    return None if value is None else ErrorCode(str(value))


def _opt_restart(value: object) -> Optional[RestartKind]:
    return None if value is None else RestartKind(str(value))


# Every text a person reads (names, notes, messages) passes one of these converters: control
# characters and escape sequences from servers are removed (remote_values) and secrets in URLs
# masked (redact), so a report, the version cache and the update log never hold either.
# Version *values* are kept as they came: they are compared and validated, not shown raw.


# Any character that could need cleaning or masking; most texts have none and return at once.
_SUSPECT = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069@=]")


def _shown(value: object) -> str:
    text = value if type(value) is str else str(value)
    if _SUSPECT.search(text) is None:
        return text
    return redact_text(clean_text(text))


def _opt_shown(value: object) -> Optional[str]:
    return None if value is None else _shown(value)


def _shown_notes(value: object) -> tuple[str, ...]:
    return tuple(_shown(n) for n in value) if isinstance(value, (list, tuple)) else ()


@attrs.frozen
class VersionRef:
    """A version as shown to people (``name``) and as compared (``value``)."""

    name: Optional[str] = attrs.field(converter=_opt_shown)
    value: Optional[str] = attrs.field(converter=_opt_str)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value}


@attrs.frozen
class RemoteRef:
    """The newest version the remote offers, with optional release notes (a URL or text)."""

    name: Optional[str] = attrs.field(converter=_opt_shown)
    value: Optional[str] = attrs.field(converter=_opt_str)
    release_notes: Optional[str] = attrs.field(default=None, converter=_opt_shown)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "release_notes": self.release_notes}


@attrs.frozen
class VersionInformation:
    """What a version check found: the local and the remote version."""

    local: VersionRef
    remote: RemoteRef
    needs_online: bool = True
    #: Free-form remarks, e.g. that the answer came from a fallback source.
    notes: tuple[str, ...] = attrs.field(default=(), converter=_shown_notes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "local": self.local.as_dict(),
            "remote": self.remote.as_dict(),
            "needs_online": self.needs_online,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VersionInformation:
        """Build from OctoPrint's dict shape; raise CheckError if it is not that shape."""
        if not isinstance(data, Mapping):
            raise CheckError(
                f"expected version information as a mapping, got {type(data).__name__}"
            )
        local = data.get("local")
        remote = data.get("remote")
        if not isinstance(local, Mapping) or not isinstance(remote, Mapping):
            raise CheckError("version information needs 'local' and 'remote' mappings")
        notes = data.get("notes") or ()
        return cls(
            local=VersionRef(name=local.get("name"), value=local.get("value")),
            remote=RemoteRef(
                name=remote.get("name"),
                value=remote.get("value"),
                release_notes=remote.get("release_notes"),
            ),
            needs_online=bool(data.get("needs_online", True)),
            notes=tuple(str(n) for n in notes) if isinstance(notes, (list, tuple)) else (),
        )

    @classmethod
    def coerce(cls, value: Union[VersionInformation, Mapping[str, Any]]) -> VersionInformation:
        """Accept either this class or OctoPrint's dict shape."""
        if isinstance(value, VersionInformation):
            return value
        return cls.from_dict(value)


@attrs.frozen
class ReleaseChannel:
    """One release channel of a release-type check (``branch`` is its id)."""

    branch: str
    name: str = attrs.field(converter=_shown)
    commitish: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"branch": self.branch, "name": self.name, "commitish": list(self.commitish)}


@attrs.frozen
class ReleaseChannels:
    """The channels a target offers, the one it follows and the stable one."""

    available: tuple[ReleaseChannel, ...]
    current: Optional[str]
    stable: Optional[str]

    def as_dict(self) -> dict[str, Any]:
        """OctoPrint's ``releaseChannels`` shape: ``available`` as ``{name, channel}`` entries."""
        return {
            "available": [{"name": c.name, "channel": c.branch} for c in self.available],
            "current": self.current,
            "stable": self.stable,
        }


def _iso(value: Optional[_dt.datetime]) -> Optional[str]:
    return None if value is None else value.isoformat()


@attrs.frozen
class TargetStatus:
    """The state of one target after a check round."""

    target: str
    display_name: str = attrs.field(converter=_shown)
    display_version: str = attrs.field(converter=_shown)
    information: Optional[VersionInformation] = None
    update_available: bool = False
    update_possible: bool = False
    online: bool = True
    error: Optional[ErrorCode] = attrs.field(default=None, converter=_opt_code)
    error_message: Optional[str] = attrs.field(default=None, converter=_opt_shown)
    disabled: Optional[str] = attrs.field(default=None, converter=_opt_shown)
    compatible: bool = True
    release_notes: Optional[str] = attrs.field(default=None, converter=_opt_shown)
    release_channels: Optional[ReleaseChannels] = None
    stale: bool = False
    checked_at: Optional[_dt.datetime] = None
    check_type: Optional[str] = None
    method: Optional[str] = None
    #: Why an available update cannot be applied right now (a failing guard), if it cannot.
    not_possible_reason: Optional[str] = attrs.field(default=None, converter=_opt_shown)
    skipped_version: Optional[str] = None

    @property
    def local_version(self) -> Optional[str]:
        return None if self.information is None else self.information.local.name

    @property
    def remote_version(self) -> Optional[str]:
        return None if self.information is None else self.information.remote.name

    def as_dict(self) -> dict[str, Any]:
        """The per-target entry of OctoPrint's check API."""
        return {
            "updateAvailable": self.update_available,
            "updatePossible": self.update_possible,
            "information": None if self.information is None else self.information.as_dict(),
            "displayName": self.display_name,
            "displayVersion": self.display_version,
            "check": {"type": self.check_type, "method": self.method},
            "releaseNotes": self.release_notes,
            "online": self.online,
            "error": self.error,
            "errorMessage": self.error_message,
            "disabled": self.disabled is not None,
            "disabledReason": self.disabled,
            "compatible": self.compatible,
            "releaseChannels": None
            if self.release_channels is None
            else self.release_channels.as_dict(),
            "stale": self.stale,
            "checkedAt": _iso(self.checked_at),
            "notPossibleReason": self.not_possible_reason,
        }


@attrs.frozen
class CheckReport:
    """The result of one check round, keyed by target."""

    targets: Mapping[str, TargetStatus]
    online: bool = True
    checked_at: Optional[_dt.datetime] = None

    @property
    def update_available(self) -> bool:
        return any(t.update_available for t in self.targets.values())

    @property
    def update_possible(self) -> bool:
        return any(t.update_available and t.update_possible for t in self.targets.values())

    @property
    def status(self) -> CheckStatus:
        """``current``, ``updateAvailable`` or ``updatePossible``, as OctoPrint reports."""
        if self.update_possible:
            return CheckStatus.UPDATE_POSSIBLE
        if self.update_available:
            return CheckStatus.UPDATE_AVAILABLE
        return CheckStatus.CURRENT

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "online": self.online,
            "timestamp": _iso(self.checked_at),
            "information": {name: t.as_dict() for name, t in self.targets.items()},
        }


@attrs.frozen
class UpdateResult:
    """What happened to one target in an update round."""

    target: str
    success: bool
    from_version: Optional[str] = None
    to_version: Optional[str] = None
    text: str = attrs.field(default="", converter=_shown)
    #: ``"updated"``, ``"failed"``, ``"skipped"``, ``"rolled_back"`` (``"planned"`` in a dry run).
    outcome: str = "updated"
    restart: Optional[RestartKind] = attrs.field(default=None, converter=_opt_restart)

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "success": self.success,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "text": self.text,
            "outcome": self.outcome,
            "restart": self.restart,
        }


@attrs.frozen
class UpdateReport:
    """The result of one update round."""

    results: Mapping[str, UpdateResult] = attrs.field(factory=dict)
    #: Target names in the order they were (or would be) updated.
    order: tuple[str, ...] = ()
    #: The strongest restart kind needed (``"octoprint"``/``"environment"``) or None.
    restart: Optional[RestartKind] = attrs.field(default=None, converter=_opt_restart)
    #: ``"restarted"``, ``"manual"``, ``"failed"`` or None when no restart was needed.
    restart_outcome: Optional[str] = None
    #: Why the round did not run at all (a failing guard), if it did not.
    refused: Optional[str] = attrs.field(default=None, converter=_opt_shown)
    queued: bool = False
    #: Updates of an earlier round that was killed while they ran (outcome unknown).
    interrupted: tuple[UpdateLogEntry, ...] = ()

    @property
    def success(self) -> bool:
        return self.refused is None and all(
            r.success or r.outcome == "skipped" for r in self.results.values()
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "order": list(self.order),
            "results": {k: v.as_dict() for k, v in self.results.items()},
            "restart": self.restart,
            "restart_outcome": self.restart_outcome,
            "refused": self.refused,
            "queued": self.queued,
            "interrupted": [e.as_dict() for e in self.interrupted],
        }


@attrs.frozen
class UpdateLogEntry:
    """One line of the persisted update log."""

    datetime: _dt.datetime
    target: str
    from_version: Optional[str] = attrs.field(converter=_opt_shown)
    to_version: Optional[str] = attrs.field(converter=_opt_shown)
    display_name: str = attrs.field(converter=_shown)
    release_notes: Optional[str] = attrs.field(converter=_opt_shown)
    success: bool
    text: str = attrs.field(converter=_shown)
    #: None for a finished update (``success`` says how it went); ``"started"`` for the entry
    #: written before the update's command runs, ``"interrupted"`` once a later round found
    #: it unfinished (the round was killed: outcome unknown).
    status: Optional[str] = None

    def as_dict(self) -> dict[str, Any]:
        """OctoPrint's update-log shape (``current_version``/``target_version``)."""
        data = {
            "datetime": self.datetime.isoformat(),
            "target": self.target,
            "current_version": self.from_version,
            "target_version": self.to_version,
            "display_name": self.display_name,
            "release_notes": self.release_notes,
            "success": self.success,
            "text": self.text,
        }
        if self.status is not None:
            data["status"] = self.status
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UpdateLogEntry:
        return cls(
            datetime=_dt.datetime.fromisoformat(str(data["datetime"])),
            target=str(data["target"]),
            from_version=_opt_str(data.get("current_version")),
            to_version=_opt_str(data.get("target_version")),
            display_name=str(data.get("display_name") or data["target"]),
            release_notes=_opt_str(data.get("release_notes")),
            success=bool(data.get("success")),
            text=str(data.get("text") or ""),
            status=_opt_str(data.get("status")),
        )
