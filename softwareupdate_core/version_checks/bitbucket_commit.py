"""Version check ``bitbucket_commit``: the newest commit of a branch on Bitbucket (API 2.0).

Config keys: ``user`` and ``repo`` (mandatory), ``branch`` (default ``master``), ``current``
(the installed commit hash, recorded after an update; may be unset), ``api_url`` (default
``https://api.bitbucket.org/2.0``), ``api_user``/``api_password`` (for private repositories;
else the global ``bitbucket_user``/``bitbucket_password`` credentials). The credentials go as
HTTP basic auth to ``api_url`` only. Offline it raises :class:`CannotCheckOffline`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import attrs

from .. import http as _http
from ..exceptions import ConfigurationInvalid
from ..models import VersionInformation
from . import _capabilities
from ._checkconfig import (
    commit_hash,
    commit_information,
    http_url,
    key_path,
    optional_text,
    parsed_config,
    require_online,
    required_text,
    segment,
    text_or,
    web_url,
)

DEFAULT_API_URL = "https://api.bitbucket.org/2.0"
DEFAULT_BRANCH = "master"


#: ``current`` is the commit installed last: recorded after an update.
CAPABILITIES = _capabilities.COMMIT


@attrs.frozen
class Config:
    """The parsed ``bitbucket_commit`` config."""

    user: str
    repo: str
    branch: str
    current: Optional[str]
    api_url: str
    #: The check's own ``api_user``/``api_password`` (else the global credentials apply).
    auth: Optional[tuple[str, str]] = attrs.field(repr=False)


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read ``user``, ``repo`` (mandatory), ``branch``, ``current``, ``api_url``, API login."""
    user = required_text(target, check, "user")
    repo = required_text(target, check, "repo")
    branch = text_or(target, check, "branch", DEFAULT_BRANCH)
    for key, value in (("user", user), ("repo", repo), ("branch", branch)):
        segment(target, key, value)
    return Config(
        user,
        repo,
        branch,
        optional_text(target, check, "current"),
        http_url(target, "api_url", text_or(target, check, "api_url", DEFAULT_API_URL)),
        _auth(target, check, None),
    )


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Compare ``current`` with the hash of the branch's newest commit."""
    config = parsed_config(kwargs, Config, parse_config, target, check)
    user, repo, branch, current = config.user, config.repo, config.branch, config.current
    api_url = config.api_url
    auth = config.auth or _auth(target, check, credentials)
    require_online(target, check, online, "bitbucket_commit")

    url = "/".join(
        (
            f"{api_url}/repositories",
            segment(target, "user", user),
            segment(target, "repo", repo),
            "commit",
            segment(target, "branch", branch),
        )
    )
    what = "a Bitbucket commit object with a hexadecimal 'hash'"
    data = _http.client_from(kwargs).get(url, auth=auth).json_object(what)
    remote = commit_hash(target, data.get("hash"), what)
    return commit_information(current, remote, _html_link(data))


def _auth(
    target: str, check: Mapping[str, Any], credentials: Optional[Mapping[str, Any]]
) -> Optional[tuple[str, str]]:
    """Per-check ``api_user``/``api_password``, else the global Bitbucket credentials."""
    user = optional_text(target, check, "api_user")
    password = optional_text(target, check, "api_password")
    if user is None and password is None:
        creds = credentials or {}
        user, password = creds.get("bitbucket_user"), creds.get("bitbucket_password")
        if not (isinstance(user, str) and isinstance(password, str) and user and password):
            return None
        return user, password
    if not user or not password:
        missing = "api_password" if user else "api_user"
        raise ConfigurationInvalid(
            "api_user and api_password must be set together", key=key_path(target, missing)
        )
    return user, password


def _html_link(data: Mapping[str, Any]) -> Optional[str]:
    """The commit's web page, if the answer has one."""
    links = data.get("links")
    html = links.get("html") if isinstance(links, Mapping) else None
    href = html.get("href") if isinstance(html, Mapping) else None
    return web_url(href)
