"""The ``always_current`` check: reports no update, for developing update mechanisms.

Config: ``current_version`` (default ``1.0.0``) is shown as both the local and the remote
version. Needs no network, so it answers the same offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from ..exceptions import ConfigurationInvalid
from ..models import RemoteRef, VersionInformation, VersionRef
from ._checkconfig import key_path

DEFAULT_VERSION = "1.0.0"


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Return ``current_version`` as local and remote version and say it is current."""
    version = _version(check, "current_version", target)
    information = VersionInformation(
        local=VersionRef(name=version, value=version),
        remote=RemoteRef(name=version, value=version),
        needs_online=False,
    )
    return information, True


def _version(
    check: Mapping[str, Any], key: str, target: str, default: str = DEFAULT_VERSION
) -> str:
    value = check.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigurationInvalid(
            f"expected a version string, got {type(value).__name__}", key=key_path(target, key)
        )
    text = str(value).strip()
    if not text:
        raise ConfigurationInvalid("must not be empty", key=key_path(target, key))
    return text
