"""Version check ``github_commit``: the newest commit of a branch of a GitHub repository.

Config keys: ``user``, ``repo`` (mandatory); ``branch`` (default ``master``); ``current`` (the
installed commit hash, recorded by the check round after an update; unset means unknown, so
not current); ``api_url`` (default ``https://api.github.com``). The token of
``credentials["github"]`` goes to ``api_url`` only. The request is conditional, so an unchanged
branch costs a 304 (free with a token). Offline it raises :class:`CannotCheckOffline`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import attrs

from .. import http as _http
from ..models import VersionInformation
from . import _capabilities
from ._checkconfig import (
    commit_hash,
    commit_information,
    optional_text,
    parsed_config,
    require_online,
    segment,
    text_or,
    web_url,
)
from ._github import GitHubRepo, repo_from, token_from

DEFAULT_BRANCH = "master"


#: ``current`` is the commit installed last: recorded after an update.
CAPABILITIES = _capabilities.GITHUB_COMMIT


@attrs.frozen
class Config:
    """The parsed ``github_commit`` config (the token comes with the round's credentials)."""

    repo: GitHubRepo
    branch: str
    current: Optional[str]


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read ``user``, ``repo`` (mandatory), ``branch``, ``current``, ``api_url``, ``web_url``."""
    branch = text_or(target, check, "branch", DEFAULT_BRANCH)
    segment(target, "branch", branch)
    return Config(repo_from(target, check, None), branch, optional_text(target, check, "current"))


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Compare ``current`` with the hash of the branch's newest commit."""
    token = token_from(credentials)  # a malformed token is named before the config
    config = parsed_config(kwargs, Config, parse_config, target, check)
    repo = attrs.evolve(config.repo, token=token)
    branch, current = config.branch, config.current
    url = f"{repo.api_base}/commits/{segment(target, 'branch', branch)}"
    require_online(target, check, online, "github_commit")

    what = "a GitHub commit object with a hexadecimal 'sha'"
    data = repo.get(_http.client_from(kwargs), url).json_object(what)
    remote = commit_hash(target, data.get("sha"), what)
    return commit_information(current, remote, web_url(data.get("html_url")))
