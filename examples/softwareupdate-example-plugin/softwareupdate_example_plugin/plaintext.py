"""Check type ``plaintext_version``: the first non-empty line of a text file is the newest version.

Config keys: ``url`` (mandatory), ``current`` (mandatory, the installed version) and
``release_compare`` (a comparison scheme of :mod:`softwareupdate_core.versions`, default
``python``). The file's content is untrusted: it must be one short version string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Optional

import attrs

from softwareupdate_core import RemoteRef, VersionInformation, VersionRef
from softwareupdate_core.exceptions import CheckError, ConfigurationInvalid
from softwareupdate_core.http import client_from
from softwareupdate_core.protocols import CheckCapabilities, require_online
from softwareupdate_core.versions import COMPARE_METHODS, is_current

#: What a version line may look like: short, no spaces or control characters.
VERSION_LINE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+\-]{0,63}")

#: What the rounds need to know: it needs the network (offline: CannotCheckOffline unless the
#: target says ``offline: true``), has no release channels and tracks no ``current`` itself.
CAPABILITIES = CheckCapabilities(network=True)


@attrs.frozen
class Config:
    """The parsed config of one ``plaintext_version`` target."""

    url: str
    current: str
    compare: str


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Check every key this type reads; ``softwareupdate config validate`` runs this too."""
    url = check.get("url")
    current = check.get("current")
    compare = check.get("release_compare") or "python"
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigurationInvalid("needs an http(s) 'url'", key=f"checks.{target}.url")
    if not isinstance(current, str) or not current:
        raise ConfigurationInvalid("needs the installed version", key=f"checks.{target}.current")
    if compare not in COMPARE_METHODS:
        raise ConfigurationInvalid(
            f"expected one of {', '.join(COMPARE_METHODS)}", key=f"checks.{target}.release_compare"
        )
    return Config(url, current, str(compare))


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Fetch ``url`` through the shared HTTP client and compare its version with ``current``."""
    config = parse_config(target, check)
    url, current = config.url, config.current
    require_online(target, check, online, "plaintext_version")

    text = client_from(kwargs).get(url).text
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not VERSION_LINE.fullmatch(lines[0]):
        raise CheckError(f"{target}: {url} does not start with a version line")
    remote = lines[0]
    compare = config.compare
    information = VersionInformation(
        local=VersionRef(name=current, value=current),
        remote=RemoteRef(name=remote, value=remote),
    )
    return information, is_current(current, remote, compare=compare)
