"""Version check ``github_release``: the newest matching release of a GitHub repository.

Config keys: ``user``, ``repo`` (mandatory); ``current`` (the installed version);
``prerelease``, ``prerelease_channel``, ``stable_branch``, ``prerelease_branches`` (release
channels, see :mod:`._release`); ``release_compare`` (a scheme of :mod:`..versions`, with
``custom_compare`` for ``custom``); ``force_base``; ``api_url`` (default
``https://api.github.com``), ``web_url`` (default ``https://github.com``) and ``max_pages``.

Releases are read newest first, 100 a page, following ``Link: rel="next"`` until a page holds
a release the channel accepts (so a stable release behind many prereleases is found) or
``max_pages`` pages were read. Requests are conditional, so an unchanged answer costs a 304.
Without a token and with the anonymous quota used up, a check that does not want prereleases
reads ``{web_url}/{user}/{repo}/releases.atom`` instead and says so in ``notes`` - only when
``api_url`` is the public GitHub API or the check sets ``web_url`` itself.
Offline it raises :class:`CannotCheckOffline`.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any, Optional
from urllib.parse import unquote

import attrs

from .. import http as _http
from .. import versions
from ..exceptions import CheckError, RateLimitCheckError, SoftwareUpdateError
from ..models import VersionInformation
from . import _capabilities, _release
from ._checkconfig import parsed_config, require_online, web_url
from ._github import DEFAULT_API_URL, GitHubRepo, repo_from, token_from

log = logging.getLogger(__name__)

#: The note on answers read from the Atom feed instead of the API.
FEED_NOTE = "from releases feed"
PER_PAGE = 100


#: Chooses among releases with channels; pages through the list (global ``max_pages``).
CAPABILITIES = _capabilities.GITHUB_RELEASE


@attrs.frozen
class Config:
    """The parsed ``github_release`` config (the token comes with the round's credentials)."""

    repo: GitHubRepo
    selection: _release.ReleaseSelection
    current: str


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read ``user``, ``repo``, ``current`` (mandatory), endpoints, pages and channels."""
    return Config(
        repo_from(target, check, None),
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
    """Compare ``current`` with the newest release the configured channel accepts."""
    token = token_from(credentials)  # a malformed token is named before the config
    config = parsed_config(kwargs, Config, parse_config, target, check)
    repo = attrs.evolve(config.repo, token=token)
    selection, current = config.selection, config.current
    require_online(target, check, online, "github_release")
    http = _http.client_from(kwargs)
    try:
        latest = _latest_from_api(target, http, repo, selection)
    except RateLimitCheckError as exc:
        if repo.token or selection.prerelease or not _feed_allowed(check, repo):
            raise
        latest = _latest_from_feed(target, http, repo, selection, exc)
        info, is_current = _release.information(current, latest, selection)
        return attrs.evolve(info, notes=(FEED_NOTE,)), is_current
    return _release.information(current, latest, selection)


def _feed_allowed(check: Mapping[str, Any], repo: GitHubRepo) -> bool:
    """The feed of ``web_url`` stands in only for the public API, or where ``web_url`` is set.

    A check against another API (GitHub Enterprise, a mirror) must not quietly read
    github.com's feed, which may be another project or stale.
    """
    return repo.api_url.rstrip("/").lower() == DEFAULT_API_URL or bool(check.get("web_url"))


def _latest_from_api(
    target: str, http: _http.HttpClient, repo: GitHubRepo, selection: _release.ReleaseSelection
) -> Optional[_release.Release]:
    """Read pages until one holds an accepted release; at most ``max_pages`` times 100 releases."""
    budget = repo.max_pages * PER_PAGE
    seen: list[_release.Release] = []
    for page in repo.pages(http, f"{repo.api_base}/releases?per_page={PER_PAGE}", target):
        releases = _parse_page(page, budget - len(seen))
        seen.extend(releases)
        if len(seen) >= budget:
            log.info("%s: stopped after reading %d releases", target, len(seen))
            break
        if any(selection.accepts(r) and _release.usable(target, r) for r in releases):
            break
    return _release.pick_newest(_release.plausible(target, seen), selection)


def _parse_page(page: _http.HttpResponse, limit: int) -> list[_release.Release]:
    what = "a list of GitHub release objects"
    releases = []
    for item in page.json_items(what, limit):
        if not isinstance(item, dict) or not isinstance(item.get("tag_name"), str):
            raise CheckError(f"{page.url}: expected {what}, got an entry without a tag_name")
        name = item.get("name")
        commitish = item.get("target_commitish")
        notes = item.get("html_url")
        releases.append(
            _release.Release(
                tag=item["tag_name"],
                name=name if isinstance(name, str) and name.strip() else item["tag_name"],
                prerelease=bool(item.get("prerelease")),
                draft=bool(item.get("draft")),
                commitish=commitish if isinstance(commitish, str) else None,
                notes_url=web_url(notes),
            )
        )
    return releases


def _latest_from_feed(
    target: str,
    http: _http.HttpClient,
    repo: GitHubRepo,
    selection: _release.ReleaseSelection,
    cause: RateLimitCheckError,
) -> Optional[_release.Release]:
    """The newest release of the public Atom feed; on failure the rate-limit error stands."""
    url = f"{repo.web_base}/releases.atom"
    try:
        response = http.get(url, headers={"Accept": "application/atom+xml"}, conditional=True)
        entries = parse_feed(response.body, f"{target}: the releases feed")
    except SoftwareUpdateError as exc:
        log.warning("%s: releases feed fallback failed: %s", target, exc)
        raise cause from None
    releases = [
        _release.Release(
            tag=entry.tag,
            name=entry.title or entry.tag,
            prerelease=_looks_like_prerelease(entry.tag, selection.compare),
            notes_url=web_url(entry.link),
        )
        for entry in entries
    ]
    return _release.pick_newest(_release.plausible(target, releases), selection)


@attrs.frozen
class FeedEntry:
    """One entry of a releases feed: the tag, its title and its page."""

    tag: str
    title: Optional[str] = None
    link: Optional[str] = None


_ATOM = "{http://www.w3.org/2005/Atom}"
#: Larger feeds are not release feeds; GitHub's holds ten entries.
_MAX_FEED = 2 * 1024 * 1024


def parse_feed(body: bytes, what: str) -> list[FeedEntry]:
    """Read the entries of a GitHub releases Atom feed, newest first.

    The tag comes from the entry's ``.../releases/tag/<tag>`` link, else from the end of its
    ``id``. Documents with a DOCTYPE or entity declarations are refused (the standard
    library parser would expand entities), as are oversized or malformed ones.
    """
    if len(body) > _MAX_FEED:
        raise CheckError(f"{what} is larger than {_MAX_FEED} bytes")
    head = body.upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise CheckError(f"{what} declares a DOCTYPE or entities, refusing to parse it")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise CheckError(f"{what} is not well-formed XML ({exc})") from None
    if root.tag != f"{_ATOM}feed":
        raise CheckError(f"{what} is not an Atom feed")
    entries = []
    for entry in root.iter(f"{_ATOM}entry"):
        link = None
        for element in entry.findall(f"{_ATOM}link"):
            if element.get("rel", "alternate") == "alternate":
                link = element.get("href")
                break
        tag = _tag_of(link, entry.findtext(f"{_ATOM}id"))
        if tag:
            title = entry.findtext(f"{_ATOM}title")
            entries.append(FeedEntry(tag=tag, title=title.strip() if title else None, link=link))
    return entries


def _tag_of(link: Optional[str], entry_id: Optional[str]) -> Optional[str]:
    if link and "/releases/tag/" in link:
        return unquote(link.rsplit("/releases/tag/", 1)[1].split("?", 1)[0])
    if entry_id and "/" in entry_id:
        return entry_id.rsplit("/", 1)[1].strip()
    return None


def _looks_like_prerelease(tag: str, compare: str) -> bool:
    """Whether a feed tag reads as a pre-release (the feed does not mark prereleases).

    Only the ``python*`` and ``semantic*`` schemes can tell; under ``unequal`` and ``custom``
    every feed entry counts as a release.
    """
    try:
        if compare.startswith("semantic"):
            return bool(versions.parse_semantic(tag).prerelease)
        if compare.startswith("python"):
            return versions.parse_version(tag).is_prerelease
    except CheckError:
        return False
    return False
