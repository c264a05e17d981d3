"""A fake GitHub: the REST endpoints the checks use, and the releases Atom feed.

Mounted on the ``server`` fixture. It paginates releases with ``Link: rel="next"``, answers
``If-None-Match`` with 304, sends ``X-RateLimit-*`` headers and keeps one quota for anonymous
requests and one for the token. ``charged`` counts requests GitHub would charge to a quota:
a 304 to a request with a valid token is free, every other answer is charged.

``POST /graphql`` answers the batched query of ``version_checks._github_graphql`` (aliased
``repository`` fields with ``releases``, ``ref`` or ``defaultBranchRef``, and ``rateLimit``)
for the same repositories. It needs the token, costs one point per request from its own
budget (``graphql_points``, not the REST quotas), and can answer a request-wide error
(``graphql_mode = "errors"``), 404 as a server without GraphQL (``"unsupported"``), or an
error for single repositories (``graphql_repo_errors``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
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
    #: ISO time stamp; by default derived from the position in the list (first = newest).
    published_at: Optional[str] = None


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
    #: GraphQL's point budget (one point per request) and how many requests it answered.
    graphql_points: Quota = attrs.field(factory=lambda: Quota(5000, 5000))
    graphql_requests: int = 0
    #: ``"ok"``, ``"errors"`` (every request fails as a whole) or ``"unsupported"`` (404).
    graphql_mode: str = "ok"
    #: Repositories whose GraphQL field fails with this error type (e.g. ``"FORBIDDEN"``).
    graphql_repo_errors: dict[tuple[str, str], str] = attrs.field(factory=dict)
    _repos: dict[tuple[str, str], _Repo] = attrs.field(factory=dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def __attrs_post_init__(self) -> None:
        self.server.route("/graphql", self._graphql, method="POST")

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
            self.graphql_requests = 0

    # -- answers ---------------------------------------------------------------------------
    def _releases(self, request: Request, user: str, repo: str) -> Reply:
        releases = self._repos[(user, repo)].releases
        per_page = min(self.max_per_page, _int(request, "per_page", self.default_per_page))
        page = max(1, _int(request, "page", 1))
        chunk = releases[(page - 1) * per_page : page * per_page]
        first = (page - 1) * per_page
        data = [self._release_json(user, repo, first + n, r) for n, r in enumerate(chunk)]
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
            "published_at": release.published_at or _published(index),
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

    def _graphql(self, request: Request) -> Reply:
        """Answer the batched query shape: aliased repositories, releases / refs, rateLimit."""
        with self._lock:
            self.graphql_requests += 1
            if self.graphql_mode == "unsupported":
                return Reply.json({"message": "Not Found"}, 404)
            auth = request.header("Authorization")
            if auth is None:
                message = "This endpoint requires you to be authenticated."
                return Reply.json({"message": message}, 401)
            if auth not in (f"Bearer {self.token}", f"token {self.token}"):
                return Reply.json({"message": "Bad credentials"}, 401)
            try:
                payload = json.loads(request.body)
                query, variables = str(payload["query"]), dict(payload.get("variables") or {})
            except (ValueError, KeyError, TypeError):
                return Reply.json({"message": "Problems parsing JSON"}, 400)
            rate = {"X-RateLimit-Resource": "graphql", "X-RateLimit-Reset": str(RESET_AT)}
            if self.graphql_mode == "errors":
                message = "Something went wrong while executing your query."
                return Reply.json({"errors": [{"message": message}]}, 200, rate)
            if self.graphql_points.remaining <= 0:
                error = {"type": "RATE_LIMITED", "message": "API rate limit exceeded"}
                return Reply.json({"errors": [error]}, 200, rate)
            self.graphql_points.charge()
            data: dict[str, Any] = {}
            errors: list[dict[str, Any]] = []
            for alias, user_var, repo_var, selection in _GRAPHQL_FIELD.findall(query):
                user, repo = str(variables.get(user_var)), str(variables.get(repo_var))
                state = self._repos.get((user, repo))
                failure = self.graphql_repo_errors.get((user, repo))
                if state is None or failure is not None:
                    data[alias] = None
                    message = (
                        f"Could not resolve to a Repository with the name '{user}/{repo}'."
                        if failure is None
                        else "Resource not accessible by integration"
                    )
                    errors.append(
                        {"type": failure or "NOT_FOUND", "path": [alias], "message": message}
                    )
                    continue
                data[alias] = self._graphql_repo(user, repo, state, selection, variables)
            if "rateLimit" in query:
                data["rateLimit"] = {
                    "cost": 1,
                    "remaining": self.graphql_points.remaining,
                    "limit": self.graphql_points.limit,
                    "resetAt": dt.datetime.fromtimestamp(RESET_AT, dt.timezone.utc).strftime(
                        "%Y-%m-%dT%H:%M:%SZ"
                    ),
                }
            answer: dict[str, Any] = {"data": data}
            if errors:
                answer["errors"] = errors
            rate["X-RateLimit-Remaining"] = str(self.graphql_points.remaining)
            return Reply.json(answer, 200, rate)

    def _graphql_repo(
        self, user: str, repo: str, state: _Repo, selection: str, variables: dict[str, Any]
    ) -> dict[str, Any]:
        releases = re.search(r"releases\(first: (\d+)", selection)
        if releases is not None:
            first = min(100, int(releases.group(1)))
            nodes = [
                {
                    "tagName": r.tag_name,
                    "name": r.name if r.name is not None else r.tag_name,
                    "isPrerelease": r.prerelease,
                    "isDraft": r.draft,
                    "url": f"https://github.com/{user}/{repo}/releases/tag/{quote(r.tag_name)}",
                    "publishedAt": r.published_at or _published(n),
                }
                for n, r in enumerate(state.releases[:first])
            ]
            return {"releases": {"nodes": nodes}}
        ref = re.search(r"ref\(qualifiedName: \$(\w+)\)", selection)
        if ref is not None:
            name = str(variables.get(ref.group(1)))
            branch = name.removeprefix("refs/heads/")
            sha = state.branches.get(branch)
            return {"ref": None if sha is None else {"target": {"oid": sha}}}
        if "defaultBranchRef" in selection:
            sha = state.branches.get("master") or state.branches.get("main")
            return {"defaultBranchRef": None if sha is None else {"target": {"oid": sha}}}
        return {}

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


#: One aliased repository field of a batched query: alias, owner and name variables, selection.
_GRAPHQL_FIELD = re.compile(
    r"(r\d+): repository\(owner: \$(\w+), name: \$(\w+)\) \{(.*?)\}\s*$", re.MULTILINE
)


def _int(request: Request, name: str, default: int) -> int:
    try:
        return int(request.query.get(name, [str(default)])[0])
    except ValueError:
        return default


def mount_github(server: FakeServer, *, token: Optional[str] = None) -> FakeGitHub:
    """A fake GitHub API served by ``server``; its base URL is ``server.url``."""
    return FakeGitHub(server, token=token)


def _published(index: int) -> str:
    """A publication time stamp for the ``index``-th listed release: one day older per place."""
    stamp = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) - dt.timedelta(days=index)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
