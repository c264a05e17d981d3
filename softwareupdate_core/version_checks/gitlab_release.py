"""Version check ``gitlab_release``: releases of a GitLab project (API v4).

Config keys: ``project`` (mandatory: numeric id or ``namespace/name``), ``api_url`` (default
``https://gitlab.com/api/v4``), ``current`` (the installed version), ``max_pages`` (default
10), ``prerelease``, ``release_compare`` and ``force_base``. Upcoming releases are skipped.
GitLab releases carry no prerelease flag, so a tag that reads as a PEP 440 pre-release
(``2.0.0rc1``, ``v2.0.0-beta.1``) counts as one; channels (``prerelease_channel``) are not
supported because GitLab releases name no branch. The token ``credentials["gitlab"]`` is
sent as ``Authorization: Bearer`` (which GitLab accepts for access tokens) rather than
``PRIVATE-TOKEN``: HTTP libraries drop ``Authorization`` on a redirect to another host but
would forward a custom header. Offline it raises :class:`CannotCheckOffline`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import attrs

from .. import http as _http
from .. import versions
from ..exceptions import CheckError
from ..models import VersionInformation
from . import _capabilities, _release
from ._checkconfig import (
    http_url,
    parsed_config,
    positive_int,
    require_online,
    required_text,
    segment,
    text_or,
    web_url,
)
from ._forgejo import fetch_pages, text_field

DEFAULT_API_URL = "https://gitlab.com/api/v4"
DEFAULT_MAX_PAGES = 10
PAGE_SIZE = 100
WHAT = "a JSON list of GitLab release objects"


#: Pages through the release list (global ``max_pages``); no channels (no target branch).
CAPABILITIES = _capabilities.GITLAB_RELEASE


@attrs.frozen
class Config:
    """The parsed ``gitlab_release`` config."""

    project: str
    api_url: str
    max_pages: int
    selection: _release.ReleaseSelection
    current: str


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read ``project``, ``current`` (mandatory), ``api_url``, ``max_pages``, comparison."""
    return Config(
        segment(target, "project", required_text(target, check, "project").strip("/")),
        http_url(target, "api_url", text_or(target, check, "api_url", DEFAULT_API_URL)),
        positive_int(target, check, "max_pages", DEFAULT_MAX_PAGES),
        # no channels: GitLab releases have no target branch to match a channel against
        attrs.evolve(_release.selection_from(target, check), commitish=None),
        _release.installed_version(target, check),
    )


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Compare ``current`` with the newest published release of the project."""
    config = parsed_config(kwargs, Config, parse_config, target, check)
    project, api_url, max_pages = config.project, config.api_url, config.max_pages
    selection, current = config.selection, config.current
    require_online(target, check, online, "gitlab_release")

    headers = {"Accept": "application/json"}
    token = (credentials or {}).get("gitlab")
    if isinstance(token, str) and token.strip():
        headers["Authorization"] = f"Bearer {token.strip()}"
    items = fetch_pages(
        _http.client_from(kwargs),
        f"{api_url}/projects/{project}/releases?per_page={PAGE_SIZE}",
        target=target,
        headers=headers,
        max_pages=max_pages,
        what=WHAT,
        max_items=max_pages * PAGE_SIZE,
        base=api_url,
    )
    releases = _release.plausible(
        target, (_as_release(target, item) for item in items if _published(item))
    )
    return _release.information(current, _release.pick_newest(releases, selection), selection)


def _published(item: object) -> bool:
    return not (isinstance(item, Mapping) and item.get("upcoming_release") is True)


def _as_release(target: str, item: object) -> _release.Release:
    """One GitLab release object as a :class:`~._release.Release`; a non-object is an error."""
    if not isinstance(item, Mapping):
        raise CheckError(f"{target}: expected {WHAT}, got a {type(item).__name__} in the list")
    tag = text_field(item, "tag_name")
    links = item.get("_links")
    notes = web_url(links.get("self")) if isinstance(links, Mapping) else None
    if notes is None:
        description = item.get("description")
        notes = description if isinstance(description, str) and description.strip() else None
    return _release.Release(
        tag=tag,
        name=text_field(item, "name"),
        prerelease=_is_prerelease(tag),
        notes_url=notes,
    )


def _is_prerelease(tag: str) -> bool:
    try:
        return versions.parse_version(tag).is_prerelease
    except CheckError:
        return False
