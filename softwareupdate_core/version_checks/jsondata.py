"""Version check ``jsondata``: a JSON document ``{"version": "1.2.3"}`` names the newest version.

Config keys: ``jsondata`` (mandatory, the document's URL) and ``current`` (the version at the
last update). Any change counts: the target is current exactly when ``current`` equals the
document's ``version`` string. Anything but an object with a string ``version`` is a
:class:`CheckError`; offline it raises :class:`CannotCheckOffline`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import attrs

from .. import http as _http
from ..models import RemoteRef, VersionInformation, VersionRef
from . import _capabilities
from ._checkconfig import (
    http_url,
    optional_text,
    parsed_config,
    remote_version,
    require_online,
    required_text,
)

EXPECTED = 'a JSON object with a string "version", e.g. {"version": "1.2.3"}'


#: Without ``current`` the first answer counts as installed (learned, then tracked).
CAPABILITIES = _capabilities.LEARNING


@attrs.frozen
class Config:
    """The parsed ``jsondata`` config."""

    url: str
    current: Optional[str]


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read ``jsondata`` (mandatory http(s) URL) and ``current``."""
    return Config(
        http_url(target, "jsondata", required_text(target, check, "jsondata")),
        optional_text(target, check, "current"),
    )


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Compare ``current`` with the ``version`` of the JSON document."""
    config = parsed_config(kwargs, Config, parse_config, target, check)
    url, current = config.url, config.current
    require_online(target, check, online, "jsondata")

    data = _http.client_from(kwargs).get(url).json_object(EXPECTED)
    version = remote_version(target, data.get("version"), EXPECTED)
    information = VersionInformation(
        local=VersionRef(name=current or "unknown", value=current),
        remote=RemoteRef(name=version, value=version),
    )
    return information, current == version
