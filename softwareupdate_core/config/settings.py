"""Settings: the keys of OctoPrint's ``plugins.softwareupdate`` section plus this library's.

Load them (:mod:`.loading`) from a mapping, from a YAML file holding a bare section, or from
a whole OctoPrint ``config.yaml``. Wrong types raise :class:`ConfigurationInvalid` naming the
file and key path; unknown keys are kept: inside a check they reach the check with its
config, at the top level they stay in ``Settings.extra`` for the host, each with one
warning (``Settings.warnings``) naming a close known key when there is one.
Secrets (credentials, passwords and tokens inside checks) never appear in a ``repr``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Optional, Union

import attrs

from ..redact import MASK, redact_text, redacted_repr

if TYPE_CHECKING:
    from ..store.shared_cache import SharedCacheSettings

#: The target that is the host program itself: shown and updated first (``host_target``).
DEFAULT_HOST_TARGET = "octoprint"

#: Seconds a check's ``verify`` command may run after an update (``verify_timeout``).
DEFAULT_VERIFY_TIMEOUT = 300.0

#: Seconds a restart command may run (``restart_timeout``).
DEFAULT_RESTART_TIMEOUT = 120.0

#: Seconds to wait for another process's update lock before refusing (``lock_wait``).
DEFAULT_LOCK_WAIT = 2.0

#: Seconds between two questions to a busy host before an update (``busy_poll_interval``).
DEFAULT_BUSY_POLL_INTERVAL = 10.0

#: Where the reference plugin fetches its check overlays from.
OCTOPRINT_OVERLAY_URL = "https://plugins.octoprint.org/update_check_overlay.json"


def _secret_repr(value: object) -> str:
    return "None" if value is None else repr(MASK)


@attrs.frozen
class Credentials:
    """Global credentials; their values never appear in reprs or logs."""

    github: Optional[str] = attrs.field(default=None, repr=_secret_repr)
    bitbucket_user: Optional[str] = attrs.field(default=None, repr=_secret_repr)
    bitbucket_password: Optional[str] = attrs.field(default=None, repr=_secret_repr)
    #: Forge name (``codeberg``) or API base URL -> token.
    forgejo: Mapping[str, str] = attrs.field(factory=dict, repr=lambda v: f"<{len(v)} tokens>")
    gitlab: Optional[str] = attrs.field(default=None, repr=_secret_repr)

    def as_dict(self) -> dict[str, Any]:
        """The mapping handed to version checks as ``credentials``."""
        return {
            "github": self.github,
            "bitbucket_user": self.bitbucket_user,
            "bitbucket_password": self.bitbucket_password,
            "forgejo": dict(self.forgejo),
            "gitlab": self.gitlab,
        }


@attrs.frozen
class Timeout:
    """Seconds to wait for a connection and for each read, on every network request."""

    connect: float = 5.0
    read: float = 20.0

    def as_tuple(self) -> tuple[float, float]:
        return (self.connect, self.read)


@attrs.frozen
class RestartCommands:
    """Shell-free commands that restart the host program or the whole machine."""

    octoprint: Optional[str] = None
    environment: Optional[str] = None

    def for_kind(self, kind: str) -> Optional[str]:
        """The command for ``kind`` (``octoprint`` or ``environment``), None if unset."""
        return {"octoprint": self.octoprint, "environment": self.environment}.get(kind)


@attrs.frozen
class Settings:
    """Every setting with its default; units as in OctoPrint (minutes, MB, seconds)."""

    checks: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict, repr=redacted_repr)
    #: Checks the host ships; plugins, overlays and ``checks`` are merged on top of them, so
    #: a ``checks`` entry without ``type`` may adjust a default target (as OctoPrint's
    #: config.yaml, which stores only changed values, does).
    default_checks: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict, repr=redacted_repr)
    pip_command: Optional[Union[str, list[str]]] = attrs.field(default=None, repr=redacted_repr)
    #: Minutes a version check answer stays valid.
    cache_ttl: int = 1440
    notify_users: bool = True
    ignore_throttled: bool = False
    #: Megabytes that must be free in the library, plugin and temp folders to update.
    minimum_free_storage: int = 150
    check_overlay_url: Optional[str] = attrs.field(
        default=OCTOPRINT_OVERLAY_URL, repr=redacted_repr
    )
    #: Minutes a fetched check overlay stays valid.
    check_overlay_ttl: int = 360
    credentials: Credentials = attrs.field(factory=Credentials)
    #: Minutes an update log entry is kept (default 30 days).
    updatelog_cutoff: int = 43200
    restart_commands: RestartCommands = attrs.field(
        factory=RestartCommands, repr=lambda v: redact_text(repr(v))
    )
    max_workers: int = 16
    per_host_limit: int = 8
    timeout: Timeout = attrs.field(factory=Timeout)
    plugin_folder: Optional[str] = None
    #: Minutes an earlier good answer may be shown (marked stale) when a check fails.
    stale_limit: int = 10080
    #: Most pages of a paginated release list to read.
    max_pages: int = 10
    #: The package index of ``pypi_release`` checks without their own ``index_url``.
    index_url: Optional[str] = None
    #: Oldest Python and pip an update round accepts.
    minimum_python: str = "3.7"
    minimum_pip: str = "19.0"
    #: The host program's own target: shown first and updated first.
    host_target: str = DEFAULT_HOST_TARGET
    #: Seconds a check's ``verify`` command may run after an update.
    verify_timeout: float = DEFAULT_VERIFY_TIMEOUT
    #: Seconds a restart command may run.
    restart_timeout: float = DEFAULT_RESTART_TIMEOUT
    #: Seconds to wait for the update lock another process holds.
    lock_wait: float = DEFAULT_LOCK_WAIT
    #: Seconds between two questions to a busy host before updating.
    busy_poll_interval: float = DEFAULT_BUSY_POLL_INTERVAL
    #: Seconds a pip run or update script may take, for checks without their own
    #: ``update_timeout`` (None: the built-in default of the update method).
    update_timeout: Optional[float] = None
    #: The Redis cache shared by the hosts of a farm (``shared_cache: {url, prefix}``), or None.
    shared_cache: Optional[SharedCacheSettings] = None
    #: Problems that do not stop anything, e.g. an unknown top-level key with its close match.
    warnings: tuple[str, ...] = ()
    #: Targets of ``checks`` whose config has a wrong value, with the error naming its key
    #: path; such a target reports ``error: config`` and the others are still checked.
    invalid_checks: Mapping[str, str] = attrs.field(factory=dict)
    #: Why nothing is checked at all (the host's config disables the plugin), or None.
    disabled_reason: Optional[str] = None
    #: Unknown keys, kept as they were.
    extra: Mapping[str, Any] = attrs.field(factory=dict, repr=redacted_repr)
    #: Where these settings were read from, for error messages.
    source: Optional[str] = None

    @classmethod
    def from_mapping(
        cls, data: Optional[Mapping[str, Any]], *, source: Optional[str] = None
    ) -> Settings:
        """Validate and load a ``plugins.softwareupdate`` section given as a mapping."""
        from .loading import parse_section
        from .validation import Checker

        return parse_section(data, Checker(source), RestartCommands())

    @classmethod
    def from_yaml(cls, path: Union[str, os.PathLike[str]]) -> Settings:
        """Load a bare section or a whole OctoPrint ``config.yaml``."""
        from .loading import load_yaml

        return load_yaml(path)

    @classmethod
    def default(cls) -> Settings:
        """The built-in configuration: check pip and this library on the package index."""
        from .host_defaults import default_checks

        return cls(checks=default_checks(), check_overlay_url=None, source="built-in defaults")

    def credentials_for_checks(self) -> dict[str, Any]:
        """The global credentials as the mapping version checks receive."""
        return self.credentials.as_dict()

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (no validation)."""
        return attrs.evolve(self, **changes)
