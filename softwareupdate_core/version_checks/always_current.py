"""The ``always_current`` check: reports no update, for developing update mechanisms.

Config: ``current_version`` (default ``1.0.0``) is shown as both the local and the remote
version. Needs no network, so it answers the same offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from ..models import RemoteRef, VersionInformation, VersionRef
from ._checkconfig import version_text

DEFAULT_VERSION = "1.0.0"


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Return ``current_version`` as local and remote version and say it is current."""
    version = version_text(target, check, "current_version", DEFAULT_VERSION)
    information = VersionInformation(
        local=VersionRef(name=version, value=version),
        remote=RemoteRef(name=version, value=version),
        needs_online=False,
    )
    return information, True
