"""Fake Bitbucket 2.0, Forgejo and GitLab APIs mounted on the test HTTP server.

Each fake serves the few endpoints the version checks use, in the shape the real API answers,
with paging by ``Link: rel="next"`` and optional authentication that answers 401 when the
expected credentials are missing or wrong. Requests are recorded by the server
(``server.hits(path)``), so tests can look at the headers a check sent.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any, Optional
from urllib.parse import quote

import attrs

from tests.httpserver import FakeServer, Reply, Request


def _page(request: Request, name: str, default: int) -> int:
    try:
        return max(1, int(request.query.get(name, [str(default)])[0]))
    except ValueError:
        return default


def _paged(
    server: FakeServer,
    path: str,
    items: Sequence[Any],
    request: Request,
    size_param: str,
    default_size: int,
) -> Reply:
    """One page of ``items`` with a ``Link`` header to the next page, as Forgejo/GitLab do."""
    size = _page(request, size_param, default_size)
    page = _page(request, "page", 1)
    chunk = list(items[(page - 1) * size : page * size])
    headers = {"Content-Type": "application/json", "X-Total-Count": str(len(items))}
    if page * size < len(items):
        headers["Link"] = (
            f'<{server.url}{path}?page={page + 1}&{size_param}={size}>; rel="next", '
            f'<{server.url}{path}?page=1&{size_param}={size}>; rel="first"'
        )
    return Reply(200, json.dumps(chunk), headers)


def _unauthorized(message: str) -> Reply:
    return Reply.json({"message": message}, status=401)


@attrs.define
class FakeBitbucket:
    """Bitbucket Cloud API 2.0: ``/repositories/{user}/{repo}/commit/{branch}``."""

    server: FakeServer
    prefix: str = "/bitbucket/2.0"
    #: When set, requests need HTTP basic auth with exactly this user and password.
    basic_auth: Optional[tuple[str, str]] = None

    @property
    def api_url(self) -> str:
        return self.server.url + self.prefix

    def commit_path(self, user: str, repo: str, branch: str) -> str:
        return f"{self.prefix}/repositories/{user}/{repo}/commit/{quote(branch, safe='')}"

    def add_commit(self, user: str, repo: str, branch: str, commit: str) -> str:
        """Serve ``commit`` as the newest commit of the branch; returns the path."""
        path = self.commit_path(user, repo, branch)
        body = {
            "type": "commit",
            "hash": commit,
            "message": "a commit\n",
            "links": {
                "html": {"href": f"https://bitbucket.example/{user}/{repo}/commits/{commit}"}
            },
        }

        def handler(request: Request) -> Reply:
            if self.basic_auth is not None:
                expected = base64.b64encode(":".join(self.basic_auth).encode()).decode()
                if request.header("Authorization") != f"Basic {expected}":
                    return Reply.json(
                        {"type": "error", "error": {"message": "Access denied"}}, status=401
                    )
            return Reply.json(body)

        self.server.route(path, handler)
        return path


def forgejo_release(
    tag: str,
    *,
    prerelease: bool = False,
    draft: bool = False,
    target_commitish: str = "main",
    release_id: int = 1,
) -> dict[str, Any]:
    """A release object as Forgejo's ``/repos/{owner}/{repo}/releases`` lists it."""
    return {
        "id": release_id,
        "tag_name": tag,
        "target_commitish": target_commitish,
        "name": f"Release {tag}",
        "body": f"Notes for {tag}",
        "html_url": f"https://forge.example/owner/repo/releases/tag/{tag}",
        "draft": draft,
        "prerelease": prerelease,
        "published_at": "2024-01-01T00:00:00Z",
    }


@attrs.define
class FakeForgejo:
    """Forgejo/Gitea API v1: releases and branches of repositories."""

    server: FakeServer
    prefix: str = "/forgejo/api/v1"
    #: When set, requests need ``Authorization: token <token>``.
    token: Optional[str] = None
    default_limit: int = 30

    @property
    def api_url(self) -> str:
        return self.server.url + self.prefix

    def _authorized(self, request: Request) -> bool:
        return self.token is None or request.header("Authorization") == f"token {self.token}"

    def releases_path(self, user: str, repo: str) -> str:
        return f"{self.prefix}/repos/{user}/{repo}/releases"

    def set_releases(self, user: str, repo: str, releases: Sequence[dict[str, Any]]) -> str:
        """Serve ``releases`` (newest first, as Forgejo orders them); returns the path."""
        path = self.releases_path(user, repo)
        items = list(releases)

        def handler(request: Request) -> Reply:
            if not self._authorized(request):
                return _unauthorized("token is required")
            return _paged(self.server, path, items, request, "limit", self.default_limit)

        self.server.route(path, handler)
        return path

    def set_branch(self, user: str, repo: str, branch: str, commit: str) -> str:
        """Serve ``commit`` as the head of ``branch``; returns the path."""
        path = f"{self.prefix}/repos/{user}/{repo}/branches/{quote(branch, safe='')}"
        body = {
            "name": branch,
            "commit": {
                "id": commit,
                "message": "a commit\n",
                "url": f"https://forge.example/{user}/{repo}/commit/{commit}",
            },
            "protected": False,
        }

        def handler(request: Request) -> Reply:
            if not self._authorized(request):
                return _unauthorized("token is required")
            return Reply.json(body)

        self.server.route(path, handler)
        return path


def gitlab_release(
    tag: str,
    *,
    upcoming: bool = False,
    description: Optional[str] = "Notes",
    self_link: bool = True,
) -> dict[str, Any]:
    """A release object as GitLab's ``/projects/{id}/releases`` lists it."""
    links: dict[str, Any] = {}
    if self_link:
        links["self"] = f"https://gitlab.example/group/project/-/releases/{tag}"
    return {
        "tag_name": tag,
        "name": f"Release {tag}",
        "description": description,
        "released_at": "2024-01-01T00:00:00Z",
        "upcoming_release": upcoming,
        "_links": links,
    }


@attrs.define
class FakeGitLab:
    """GitLab API v4: releases of projects addressed by id or URL-encoded path."""

    server: FakeServer
    prefix: str = "/gitlab/api/v4"
    #: When set, requests need this token (``Authorization: Bearer`` or ``PRIVATE-TOKEN``).
    token: Optional[str] = None
    default_per_page: int = 20

    @property
    def api_url(self) -> str:
        return self.server.url + self.prefix

    def releases_path(self, project: str) -> str:
        """The path as sent on the wire: ``group/name`` is encoded as ``group%2Fname``."""
        return f"{self.prefix}/projects/{quote(project, safe='')}/releases"

    def set_releases(self, project: str, releases: Sequence[dict[str, Any]]) -> str:
        """Serve ``releases`` (newest first, as GitLab orders them); returns the path."""
        path = self.releases_path(project)
        items = list(releases)

        def handler(request: Request) -> Reply:
            if self.token is not None and self.token not in (
                request.header("PRIVATE-TOKEN"),
                (request.header("Authorization") or "").removeprefix("Bearer "),
            ):
                return _unauthorized("401 Unauthorized")
            return _paged(self.server, path, items, request, "per_page", self.default_per_page)

        self.server.route(path, handler)
        return path
