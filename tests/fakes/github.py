"""A fake GitHub: the REST endpoints the checks use, and the releases Atom feed.

Mounted on the ``server`` fixture. It paginates releases with ``Link: rel="next"``, answers
``If-None-Match`` with 304, sends ``X-RateLimit-*`` headers and keeps one quota for anonymous
requests and one for the token. ``charged`` counts requests GitHub would charge to a quota:
a 304 to a request with a valid token is free, every other answer is charged.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Optional
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

import attrs

from tests.httpserver import FakeServer, Reply, Request

#: Epoch seconds the fake reports as the quota reset time: an hour after the tests start
#: (the client counts a reset more than a day away as a day away).
RESET_AT = int(time.time()) + 3600


@attrs.define
class FakeRelease:
    """One release as the API lists it; ``name`` defaults to the tag."""

    tag_name: str
    name: Optional[str] = None
    prerelease: bool = False
    draft: bool = False
    target_commitish: str = "master"


@attrs.define
class Quota:
    """One rate-limit bucket."""

    limit: int
    remaining: int

    def charge(self) -> None:
        self.remaining = max(0, self.remaining - 1)


@attrs.define
class _Repo:
    releases: list[FakeRelease] = attrs.field(factory=list)
    branches: dict[str, str] = attrs.field(factory=dict)


@attrs.define
class FakeGitHub:
    """The fake API state; create with :func:`mount_github`."""

    server: FakeServer
    #: The one valid token (requests with another token get 401 "Bad credentials").
    token: Optional[str] = None
    anonymous: Quota = attrs.field(factory=lambda: Quota(60, 60))
    authenticated: Quota = attrs.field(factory=lambda: Quota(5000, 5000))
    #: Answer every API request with 429 and ``Retry-After`` (GitHub's secondary limit).
    secondary_limit: bool = False
    charged: int = 0
    not_modified: int = 0
    default_per_page: int = 30
    max_per_page: int = 100
    _repos: dict[tuple[str, str], _Repo] = attrs.field(factory=dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    @property
    def api_url(self) -> str:
        return self.server.url

    def add_repo(
        self,
        user: str,
        repo: str,
        releases: Iterable[FakeRelease] = (),
        branches: Optional[dict[str, str]] = None,
    ) -> None:
        """Serve a repository; ``releases`` newest first, as the API lists them."""
        state = self._repos.setdefault((user, repo), _Repo())
        state.releases.extend(releases)
        base = f"/repos/{quote(user)}/{quote(repo)}"
        self.server.route(f"{base}/releases", lambda req: self._releases(req, user, repo))
        for branch, sha in (branches or {}).items():
            self.set_branch(user, repo, branch, sha)

    def set_branch(self, user: str, repo: str, branch: str, sha: str) -> None:
        """Point ``branch`` at ``sha`` (and serve its commit endpoint)."""
        state = self._repos.setdefault((user, repo), _Repo())
        state.branches[branch] = sha
        path = f"/repos/{quote(user)}/{quote(repo)}/commits/{quote(branch, safe='')}"
        self.server.route(path, lambda req: self._commit(req, user, repo, branch))

    def mount_feed(self, web: FakeServer) -> None:
        """Serve ``/{user}/{repo}/releases.atom`` of every repository on ``web``."""
        for user, repo in self._repos:
            path = f"/{quote(user)}/{quote(repo)}/releases.atom"
            web.route(path, self._feed_handler(web, user, repo))

    def _feed_handler(self, web: FakeServer, user: str, repo: str) -> Callable[[Request], Reply]:
        return lambda _request: self._feed(web, user, repo)

    def reset_counts(self) -> None:
        with self._lock:
            self.charged = 0
            self.not_modified = 0

    # -- answers ---------------------------------------------------------------------------
    def _releases(self, request: Request, user: str, repo: str) -> Reply:
        releases = self._repos[(user, repo)].releases
        per_page = min(self.max_per_page, _int(request, "per_page", self.default_per_page))
        page = max(1, _int(request, "page", 1))
        chunk = releases[(page - 1) * per_page : page * per_page]
        data = [self._release_json(user, repo, n, r) for n, r in enumerate(chunk)]
        pages = max(1, -(-len(releases) // per_page))
        links = []
        path = f"{self.server.url}/repos/{quote(user)}/{quote(repo)}/releases"
        if page < pages:
            links.append(f'<{path}?per_page={per_page}&page={page + 1}>; rel="next"')
            links.append(f'<{path}?per_page={per_page}&page={pages}>; rel="last"')
        extra = {"Link": ", ".join(links)} if links else {}
        return self._answer(request, 200, data, extra)

    def _commit(self, request: Request, user: str, repo: str, branch: str) -> Reply:
        sha = self._repos[(user, repo)].branches[branch]
        data = {
            "sha": sha,
            "html_url": f"https://github.com/{user}/{repo}/commit/{sha}",
            "commit": {"message": "a commit"},
        }
        return self._answer(request, 200, data, {})

    def _release_json(self, user: str, repo: str, index: int, release: FakeRelease) -> Any:
        return {
            "id": index + 1,
            "tag_name": release.tag_name,
            "name": release.name if release.name is not None else release.tag_name,
            "draft": release.draft,
            "prerelease": release.prerelease,
            "target_commitish": release.target_commitish,
            "html_url": f"https://github.com/{user}/{repo}/releases/tag/{quote(release.tag_name)}",
        }

    def _answer(self, request: Request, status: int, data: Any, headers: dict[str, str]) -> Reply:
        with self._lock:
            auth = request.header("Authorization")
            if auth is not None and auth not in (f"Bearer {self.token}", f"token {self.token}"):
                self.charged += 1
                self.anonymous.charge()
                return Reply.json({"message": "Bad credentials"}, 401)
            quota = self.authenticated if auth is not None else self.anonymous
            rate = {
                "X-RateLimit-Limit": str(quota.limit),
                "X-RateLimit-Reset": str(RESET_AT),
                "X-RateLimit-Resource": "core",
            }
            self.charged += 1
            if self.secondary_limit:
                message = {"message": "You have exceeded a secondary rate limit."}
                return Reply.json(message, 429, {"Retry-After": "60"})
            if quota.remaining <= 0:
                rate["X-RateLimit-Remaining"] = "0"
                message = {"message": "API rate limit exceeded for 127.0.0.1."}
                return Reply.json(message, 403, rate)
            body = json.dumps(data)
            etag = f'W/"{hashlib.sha256(body.encode()).hexdigest()[:32]}"'
            if request.header("If-None-Match") == etag:
                self.not_modified += 1
                if auth is not None:
                    self.charged -= 1  # GitHub's rule: a 304 to an authenticated request is free
                else:
                    quota.charge()
                rate["X-RateLimit-Remaining"] = str(quota.remaining)
                return Reply(304, b"", {"ETag": etag, **rate})
            quota.charge()
            rate["X-RateLimit-Remaining"] = str(quota.remaining)
            return Reply(
                status,
                body,
                {
                    "Content-Type": "application/json; charset=utf-8",
                    "ETag": etag,
                    **rate,
                    **headers,
                },
            )

    def _feed(self, web: FakeServer, user: str, repo: str) -> Reply:
        entries = []
        for release in self._repos[(user, repo)].releases:
            if release.draft:
                continue
            link = f"{web.url}/{quote(user)}/{quote(repo)}/releases/tag/{quote(release.tag_name)}"
            entries.append(
                "<entry>"
                f"<id>tag:github.com,2008:Repository/1/{escape(release.tag_name)}</id>"
                "<updated>2024-01-01T00:00:00Z</updated>"
                f'<link rel="alternate" type="text/html" href={quoteattr(link)}/>'
                f"<title>{escape(release.name or release.tag_name)}</title>"
                "</entry>"
            )
        feed = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-US">'
            f"<id>tag:github.com,2008:https://github.com/{escape(user)}/{escape(repo)}/releases</id>"
            f"<title>Release notes from {escape(repo)}</title>" + "".join(entries) + "</feed>"
        )
        return Reply(200, feed, {"Content-Type": "application/atom+xml; charset=utf-8"})


def _int(request: Request, name: str, default: int) -> int:
    try:
        return int(request.query.get(name, [str(default)])[0])
    except ValueError:
        return default


def mount_github(server: FakeServer, *, token: Optional[str] = None) -> FakeGitHub:
    """A fake GitHub API served by ``server``; its base URL is ``server.url``."""
    return FakeGitHub(server, token=token)
