"""Version check ``jsondata``: a JSON document ``{"version": "1.2.3"}`` names the newest version.

Config keys: ``jsondata`` (mandatory, the document's URL) and ``current`` (the version at the
last update). Any change counts: the target is current exactly when ``current`` equals the
document's ``version`` string. Anything but an object with a string ``version`` is a
:class:`CheckError`; offline it raises :class:`CannotCheckOffline`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from .. import http as _http
from ..models import RemoteRef, VersionInformation, VersionRef
from ._checkconfig import http_url, optional_text, remote_version, require_online, required_text

EXPECTED = 'a JSON object with a string "version", e.g. {"version": "1.2.3"}'


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Compare ``current`` with the ``version`` of the JSON document."""
    url = http_url(target, "jsondata", required_text(target, check, "jsondata"))
    current = optional_text(target, check, "current")
    require_online(target, check, online, "jsondata")

    data = _http.client_from(kwargs).get(url).json_object(EXPECTED)
    version = remote_version(target, data.get("version"), EXPECTED)
    information = VersionInformation(
        local=VersionRef(name=current or "unknown", value=current),
        remote=RemoteRef(name=version, value=version),
    )
    return information, current == version
