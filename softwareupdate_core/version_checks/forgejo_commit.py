"""Version check ``forgejo_commit`` (alias ``codeberg_commit``): a branch head on a Forgejo forge.

Config keys: ``forge`` (``codeberg`` or an API base URL; the alias defaults to ``codeberg``),
``user`` and ``repo`` (mandatory), ``branch`` (default ``master``, like the seed's other
commit checks; set it for repositories whose default branch is ``main``) and ``current``
(the installed commit, recorded after an update). The token is
``credentials["forgejo"][<forge>]``. Offline it raises :class:`CannotCheckOffline`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import attrs

from .. import http as _http
from ..exceptions import CheckError
from ..models import VersionInformation
from . import _capabilities
from ._checkconfig import (
    commit_hash,
    commit_information,
    optional_text,
    parsed_config,
    require_online,
    required_text,
    segment,
    text_or,
    web_url,
)
from ._forgejo import Forge, forge_from

DEFAULT_BRANCH = "master"
WHAT = "a Forgejo branch object with a hexadecimal 'commit.id'"


#: ``current`` is the commit installed last: recorded after an update.
CAPABILITIES = _capabilities.COMMIT


@attrs.frozen
class Config:
    """The parsed ``forgejo_commit`` config; path parts are already quoted segments."""

    forge: Forge
    user: str
    repo: str
    branch: str
    current: Optional[str]


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read ``forge``, ``user``, ``repo`` (mandatory), ``branch`` and ``current``."""
    return Config(
        forge_from(target, check, None),
        segment(target, "user", required_text(target, check, "user")),
        segment(target, "repo", required_text(target, check, "repo")),
        segment(target, "branch", text_or(target, check, "branch", DEFAULT_BRANCH)),
        optional_text(target, check, "current"),
    )


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Compare ``current`` with the id of the branch's newest commit."""
    config = parsed_config(kwargs, Config, parse_config, target, check)
    forge = forge_from(target, check, credentials)
    user, repo, branch, current = config.user, config.repo, config.branch, config.current
    require_online(target, check, online, "the commit check")

    url = f"{forge.api_url}/repos/{user}/{repo}/branches/{branch}"
    data = _http.client_from(kwargs).get(url, headers=forge.headers()).json_object(WHAT)
    commit = data.get("commit")
    if not isinstance(commit, Mapping):
        raise CheckError(f"{target}: expected {WHAT}, got no commit object")
    remote = commit_hash(target, commit.get("id"), WHAT)
    return commit_information(current, remote, web_url(commit.get("url")))
