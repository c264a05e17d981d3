"""The ``always_current`` check: reports no update, for developing update mechanisms.

Config: ``current_version`` (default ``1.0.0``) is shown as both the local and the remote
version. Needs no network, so it answers the same offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import attrs

from ..models import RemoteRef, VersionInformation, VersionRef
from . import _capabilities
from ._checkconfig import parsed_config, version_text

DEFAULT_VERSION = "1.0.0"


#: Needs no network and tracks nothing.
CAPABILITIES = _capabilities.CONSTANT


@attrs.frozen
class Config:
    """The parsed ``always_current`` config."""

    current_version: str


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read ``current_version`` (default 1.0.0)."""
    return Config(version_text(target, check, "current_version", DEFAULT_VERSION))


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Return ``current_version`` as local and remote version and say it is current."""
    version = parsed_config(kwargs, Config, parse_config, target, check).current_version
    information = VersionInformation(
        local=VersionRef(name=version, value=version),
        remote=RemoteRef(name=version, value=version),
        needs_online=False,
    )
    return information, True
