"""The ``never_current`` check: always offers an update, for developing update mechanisms.

Config: ``local_version`` (default ``1.0.0``) and ``remote_version`` (default ``1.0.1``).
Needs no network, so it answers the same offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from ..exceptions import ConfigurationInvalid
from ..models import RemoteRef, VersionInformation, VersionRef
from ._checkconfig import key_path

DEFAULT_LOCAL = "1.0.0"
DEFAULT_REMOTE = "1.0.1"


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Return the configured local and remote versions and say an update is available."""
    local = _version(check, "local_version", target, DEFAULT_LOCAL)
    remote = _version(check, "remote_version", target, DEFAULT_REMOTE)
    information = VersionInformation(
        local=VersionRef(name=local, value=local),
        remote=RemoteRef(name=remote, value=remote),
        needs_online=False,
    )
    return information, False


def _version(check: Mapping[str, Any], key: str, target: str, default: str) -> str:
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
