"""What the GitHub checks share: the repository config, API headers and paged requests.

The token (``credentials["github"]``) goes as ``Authorization: Bearer`` to ``api_url`` only:
page links that lead to another origin are not followed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any, Optional

import attrs

from ..exceptions import ConfigurationInvalid
from ..http import HttpClient, HttpResponse
from . import _paging
from ._checkconfig import http_url, positive_int, required_text, segment, text_or
from ._paging import same_origin

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_WEB_URL = "https://github.com"
DEFAULT_MAX_PAGES = 10
API_VERSION = "2022-11-28"


@attrs.frozen
class GitHubRepo:
    """A repository on a GitHub (or GitHub Enterprise) instance, and how to reach it."""

    user: str
    repo: str
    #: ``/{user}/{repo}``, each quoted as one path segment.
    path: str
    api_url: str = DEFAULT_API_URL
    web_url: str = DEFAULT_WEB_URL
    #: Kept out of the repr so it never lands in a log line.
    token: Optional[str] = attrs.field(default=None, repr=False)
    max_pages: int = DEFAULT_MAX_PAGES

    @property
    def api_base(self) -> str:
        """The repository's API URL, ``{api_url}/repos/{user}/{repo}``."""
        return f"{self.api_url}/repos{self.path}"

    @property
    def web_base(self) -> str:
        return f"{self.web_url}{self.path}"

    def headers(self) -> dict[str, str]:
        """Headers for requests to ``api_url``, with the token when there is one."""
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def get(self, http: HttpClient, url: str) -> HttpResponse:
        """A conditional GET of an API URL (which must be below ``api_url``)."""
        if not same_origin(url, self.api_url):
            raise ConfigurationInvalid(f"refusing to send the GitHub token outside {self.api_url}")
        return http.get(
            url, headers=self.headers(), conditional=True, credentials_base=self.api_url
        )

    def pages(self, http: HttpClient, url: str, target: str) -> Iterator[HttpResponse]:
        """``url`` and the pages its ``Link: rel="next"`` headers lead to, at most ``max_pages``."""
        if not same_origin(url, self.api_url):
            raise ConfigurationInvalid(f"refusing to send the GitHub token outside {self.api_url}")
        return _paging.pages(
            http,
            url,
            target=target,
            headers=self.headers(),
            base=self.api_url,
            max_pages=self.max_pages,
        )


def repo_from(
    target: str, check: Mapping[str, Any], credentials: Optional[Mapping[str, Any]]
) -> GitHubRepo:
    """Read ``user``, ``repo``, ``api_url``, ``web_url``, ``max_pages`` and the token."""
    user = required_text(target, check, "user")
    repo = required_text(target, check, "repo")
    api_url = http_url(target, "api_url", text_or(target, check, "api_url", DEFAULT_API_URL))
    web_url = http_url(target, "web_url", text_or(target, check, "web_url", DEFAULT_WEB_URL))
    max_pages = positive_int(target, check, "max_pages", DEFAULT_MAX_PAGES)
    return GitHubRepo(
        user=user,
        repo=repo,
        path=f"/{segment(target, 'user', user)}/{segment(target, 'repo', repo)}",
        api_url=api_url,
        web_url=web_url,
        token=token_from(credentials),
        max_pages=max_pages,
    )


def token_from(credentials: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The GitHub token of the credentials, or None; never echoes the value in errors."""
    token = (credentials or {}).get("github")
    if token is None or token == "":
        return None
    if not isinstance(token, str) or not token.strip().isprintable() or not token.strip():
        raise ConfigurationInvalid("expected a token string", key="credentials.github")
    return token.strip()
