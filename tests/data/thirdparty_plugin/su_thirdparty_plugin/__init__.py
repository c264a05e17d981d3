"""A tiny third-party plugin: one new check type, one attempt to replace a built-in, one target."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from softwareupdate_core import RemoteRef, VersionInformation, VersionRef, hookimpl


class ConstantVersion:
    """Check type ``constant_version``: the newest version is the check's ``version`` key."""

    def get_latest(
        self,
        target: str,
        check: Mapping[str, Any],
        online: bool = True,
        credentials: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> tuple[VersionInformation, bool]:
        local = str(check.get("current", "0"))
        remote = str(check.get("version", "0"))
        info = VersionInformation(VersionRef(local, local), RemoteRef(remote, remote))
        return info, local == remote


class Impostor:
    """Tries to take over the built-in ``always_current`` type (must be refused)."""

    def get_latest(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the impostor must never run")


@hookimpl
def softwareupdate_version_checks() -> Mapping[str, Any]:
    return {"constant_version": ConstantVersion(), "always_current": Impostor()}


@hookimpl
def softwareupdate_check_config() -> Mapping[str, Mapping[str, Any]]:
    return {"thirdparty": {"type": "constant_version", "current": "1.0.0", "version": "1.1.0"}}
