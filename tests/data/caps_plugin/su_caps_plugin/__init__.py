"""A third-party plugin that declares capabilities the way the built-ins do.

* Check type ``file_commit``: the newest "commit" is the content of the file ``head_file``;
  ``current`` is tracked by the library after an update (``tracks_current="after_update"``),
  as for the built-in commit checks.
* Update method ``file_install``: writes the version into ``installed_file``; its ``verify``
  refuses a version listed in ``bad_versions`` and its ``rollback`` writes the previous
  version back (and notes it in ``installed_file`` + ``.rollbacks``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

import attrs

from softwareupdate_core import RemoteRef, VersionInformation, VersionRef, hookimpl
from softwareupdate_core.exceptions import ConfigurationInvalid
from softwareupdate_core.protocols import CheckCapabilities, UpdaterCapabilities


@attrs.frozen
class CheckConfig:
    head_file: Path
    current: Optional[str]


class FileCommit:
    """Check type ``file_commit``."""

    CAPABILITIES = CheckCapabilities(network=False, tracks_current="after_update")

    @staticmethod
    def parse_config(target: str, check: Mapping[str, Any]) -> CheckConfig:
        head = check.get("head_file")
        if not isinstance(head, str) or not head:
            raise ConfigurationInvalid("is mandatory", key=f"checks.{target}.head_file")
        current = check.get("current")
        return CheckConfig(Path(head), None if current is None else str(current))

    def get_latest(
        self,
        target: str,
        check: Mapping[str, Any],
        online: bool = True,
        credentials: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> tuple[VersionInformation, bool]:
        config = self.parse_config(target, check)
        remote = config.head_file.read_text().strip()
        local = config.current
        info = VersionInformation(
            VersionRef(local or "unknown", local), RemoteRef(remote, remote), needs_online=False
        )
        return info, local == remote


@attrs.frozen
class UpdateConfig:
    installed_file: Path
    bad_versions: tuple[str, ...]


def _parse_update(target: str, check: Mapping[str, Any]) -> UpdateConfig:
    installed = check.get("installed_file")
    if not isinstance(installed, str) or not installed:
        raise ConfigurationInvalid("is mandatory", key=f"checks.{target}.installed_file")
    return UpdateConfig(Path(installed), tuple(str(v) for v in check.get("bad_versions", ())))


def _verify(target: str, check: Mapping[str, Any], target_version: str) -> Optional[str]:
    config = _parse_update(target, check)
    if config.installed_file.read_text() != target_version:
        return "the installed file does not hold the new version"
    if target_version in config.bad_versions:
        return f"version {target_version} does not start"
    return None


def _rollback(
    target: str, check: Mapping[str, Any], previous_version: str, log_cb: Any = None
) -> None:
    config = _parse_update(target, check)
    config.installed_file.write_text(previous_version)
    notes = config.installed_file.with_name(config.installed_file.name + ".rollbacks")
    with notes.open("a") as handle:
        handle.write(previous_version + "\n")


class FileInstall:
    """Update method ``file_install``."""

    CAPABILITIES = UpdaterCapabilities(network=False, verify=_verify, rollback=_rollback)

    @staticmethod
    def parse_config(target: str, check: Mapping[str, Any]) -> UpdateConfig:
        return _parse_update(target, check)

    def can_perform_update(
        self, target: str, check: Mapping[str, Any], online: bool = True
    ) -> bool:
        return True

    def perform_update(
        self,
        target: str,
        check: Mapping[str, Any],
        target_version: str,
        log_cb: Any = None,
        online: bool = True,
        force: bool = False,
    ) -> None:
        _parse_update(target, check).installed_file.write_text(target_version)


@hookimpl
def softwareupdate_version_checks() -> Mapping[str, Any]:
    return {"file_commit": FileCommit()}


@hookimpl
def softwareupdate_updaters() -> Mapping[str, Any]:
    return {"file_install": FileInstall()}
