"""The ``never_current`` check: always offers an update, for developing update mechanisms.

Config: ``local_version`` (default ``1.0.0``) and ``remote_version`` (default ``1.0.1``).
Needs no network, so it answers the same offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import attrs

from ..models import RemoteRef, VersionInformation, VersionRef
from . import _capabilities
from ._checkconfig import parsed_config, version_text

DEFAULT_LOCAL = "1.0.0"
DEFAULT_REMOTE = "1.0.1"


#: Needs no network and tracks nothing.
CAPABILITIES = _capabilities.CONSTANT


@attrs.frozen
class Config:
    """The parsed ``never_current`` config."""

    local_version: str
    remote_version: str


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read ``local_version`` and ``remote_version``."""
    return Config(
        version_text(target, check, "local_version", DEFAULT_LOCAL),
        version_text(target, check, "remote_version", DEFAULT_REMOTE),
    )


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Return the configured local and remote versions and say an update is available."""
    config = parsed_config(kwargs, Config, parse_config, target, check)
    local, remote = config.local_version, config.remote_version
    information = VersionInformation(
        local=VersionRef(name=local, value=local),
        remote=RemoteRef(name=remote, value=remote),
        needs_online=False,
    )
    return information, False
