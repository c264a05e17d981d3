"""Version check ``httpheader``: a response header of a URL (e.g. ``ETag``) as the version.

Config keys: ``header_url`` or ``url`` (mandatory), ``header_name`` (mandatory, any case),
``header_method`` (``HEAD`` (default) or ``GET``: a check must not change anything remotely),
``header_prefix`` (shown before the value; default the header name, empty for none) and
``current`` (the value at the last update). The request is never conditional: the header
itself is what we want. A missing header is a :class:`CheckError`; offline it raises
:class:`CannotCheckOffline`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import attrs

from .. import http as _http
from ..exceptions import CheckError, ConfigurationInvalid
from ..models import RemoteRef, VersionInformation, VersionRef
from . import _capabilities
from ._checkconfig import (
    http_url,
    key_path,
    optional_text,
    parsed_config,
    remote_version,
    require_online,
    required_text,
)

ALLOWED_METHODS = ("HEAD", "GET")


#: Without ``current`` the first answer counts as installed (learned, then tracked).
CAPABILITIES = _capabilities.LEARNING


@attrs.frozen
class Config:
    """The parsed ``httpheader`` config."""

    url_key: str
    url: str
    name: str
    method: str
    prefix: str
    current: Optional[str]


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read ``header_url`` (or ``url``), ``header_name`` (mandatory), method, prefix."""
    url_key = "header_url" if check.get("header_url") else "url"
    url = http_url(target, url_key, required_text(target, check, url_key))
    name = required_text(target, check, "header_name").strip()
    method = (optional_text(target, check, "header_method") or "HEAD").strip().upper()
    if method not in ALLOWED_METHODS:
        raise ConfigurationInvalid(
            f"expected one of {', '.join(ALLOWED_METHODS)}", key=key_path(target, "header_method")
        )
    prefix = optional_text(target, check, "header_prefix")
    current = optional_text(target, check, "current")
    return Config(url_key, url, name, method, name if prefix is None else prefix, current)


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Compare ``current`` with the header's value in a fresh answer of the URL."""
    config = parsed_config(kwargs, Config, parse_config, target, check)
    url_key, url, name, method = config.url_key, config.url, config.name, config.method
    prefix, current = config.prefix, config.current
    require_online(target, check, online, "httpheader")

    response = _http.client_from(kwargs).request(method, url, conditional=False)
    raw = response.headers.get(name)  # requests' headers are case-insensitive
    if raw is None:
        raise CheckError(
            f"{target}: the answer to {method} {key_path(target, url_key)} has no {name!a} header"
        )
    value = remote_version(target, raw, f"a value of the {name!a} header")
    information = VersionInformation(
        local=VersionRef(name=_shown(prefix, current), value=current),
        remote=RemoteRef(name=_shown(prefix, value), value=value),
    )
    return information, current == value


def _shown(prefix: str, value: Optional[str]) -> str:
    if value is None:
        return "unknown"
    return f"{prefix} {value}" if prefix else value
