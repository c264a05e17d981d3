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

from .. import http as _http
from ..exceptions import CheckError
from ..models import VersionInformation
from ._checkconfig import (
    commit_hash,
    commit_information,
    optional_text,
    require_online,
    required_text,
    segment,
    text_or,
    web_url,
)
from ._forgejo import forge_from

DEFAULT_BRANCH = "master"
WHAT = "a Forgejo branch object with a hexadecimal 'commit.id'"


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Compare ``current`` with the id of the branch's newest commit."""
    forge = forge_from(target, check, credentials)
    user = segment(target, "user", required_text(target, check, "user"))
    repo = segment(target, "repo", required_text(target, check, "repo"))
    branch = segment(target, "branch", text_or(target, check, "branch", DEFAULT_BRANCH))
    current = optional_text(target, check, "current")
    require_online(target, check, online, "the commit check")

    url = f"{forge.api_url}/repos/{user}/{repo}/branches/{branch}"
    data = _http.client_from(kwargs).get(url, headers=forge.headers()).json_object(WHAT)
    commit = data.get("commit")
    if not isinstance(commit, Mapping):
        raise CheckError(f"{target}: expected {WHAT}, got no commit object")
    remote = commit_hash(target, commit.get("id"), WHAT)
    return commit_information(current, remote, web_url(commit.get("url")))
