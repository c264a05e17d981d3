"""Version check ``forgejo_release`` (alias ``codeberg_release``): releases on a Forgejo forge.

Config keys: ``forge`` (``codeberg`` or an API base URL; the alias defaults to ``codeberg``),
``user`` and ``repo`` (mandatory), ``current`` (the installed version), ``max_pages``
(default 10), and as for ``github_release``: ``prerelease``, ``prerelease_channel``,
``stable_branch``, ``prerelease_branches`` (matched against ``target_commitish``),
``release_compare`` and ``force_base``. Drafts never count. The token is
``credentials["forgejo"][<forge>]``. Offline it raises :class:`CannotCheckOffline`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import attrs

from .. import http as _http
from ..exceptions import CheckError
from ..models import VersionInformation
from . import _capabilities, _release
from ._checkconfig import (
    parsed_config,
    positive_int,
    require_online,
    required_text,
    segment,
    web_url,
)
from ._forgejo import Forge, fetch_pages, forge_from, text_field

DEFAULT_MAX_PAGES = 10
#: Releases asked for per page (Forgejo's default maximum).
PAGE_SIZE = 50
WHAT = "a JSON list of Forgejo release objects"


#: Chooses among releases with channels; pages through the list (global ``max_pages``).
CAPABILITIES = _capabilities.FORGEJO_RELEASE


@attrs.frozen
class Config:
    """The parsed ``forgejo_release`` config; path parts are already quoted segments."""

    forge: Forge
    user: str
    repo: str
    max_pages: int
    selection: _release.ReleaseSelection
    current: str


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read ``forge``, ``user``, ``repo``, ``current`` (mandatory), pages and channels."""
    return Config(
        forge_from(target, check, None),
        segment(target, "user", required_text(target, check, "user")),
        segment(target, "repo", required_text(target, check, "repo")),
        positive_int(target, check, "max_pages", DEFAULT_MAX_PAGES),
        _release.selection_from(target, check),
        _release.installed_version(target, check),
    )


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Compare ``current`` with the newest release the check's channel settings accept."""
    config = parsed_config(kwargs, Config, parse_config, target, check)
    forge = forge_from(target, check, credentials)
    user, repo, max_pages = config.user, config.repo, config.max_pages
    selection, current = config.selection, config.current
    require_online(target, check, online, str(check.get("type") or "forgejo_release"))

    items = fetch_pages(
        _http.client_from(kwargs),
        f"{forge.api_url}/repos/{user}/{repo}/releases?limit={PAGE_SIZE}",
        target=target,
        headers=forge.headers(),
        max_pages=max_pages,
        what=WHAT,
        max_items=max_pages * PAGE_SIZE,
        base=forge.api_url,
    )
    releases = _release.plausible(target, (_as_release(target, item) for item in items))
    return _release.information(current, _release.pick_newest(releases, selection), selection)


def _as_release(target: str, item: object) -> _release.Release:
    """One Forgejo release object as a :class:`~._release.Release`; a non-object is an error."""
    if not isinstance(item, Mapping):
        raise CheckError(f"{target}: expected {WHAT}, got a {type(item).__name__} in the list")
    commitish = item.get("target_commitish")
    return _release.Release(
        tag=text_field(item, "tag_name"),
        name=text_field(item, "name"),
        prerelease=item.get("prerelease") is True,
        draft=item.get("draft") is True,
        commitish=commitish if isinstance(commitish, str) else None,
        notes_url=web_url(item.get("html_url")),
    )
