"""Shared by the forge API checks: which Forgejo to ask, with which token, and paging.

``forge`` is a known name (``codeberg``) or an API base URL such as
``https://git.example.org/api/v1``; a bare site URL (no path) gets ``/api/v1`` appended.
Tokens come from the global ``credentials["forgejo"]`` mapping, keyed by the forge as
written in the check or by its API base URL. :func:`fetch_pages` (also used by GitLab)
follows ``Link: rel="next"`` only to the API's own host, so a token never travels elsewhere.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Optional
from urllib.parse import urlsplit

import attrs

from ..exceptions import ConfigurationInvalid
from ..http import HttpClient
from ..remote_values import value_problem
from ._checkconfig import http_url, key_path, optional_text
from ._paging import pages

log = logging.getLogger(__name__)

#: Forge names a check may use instead of a URL.
KNOWN_FORGES: Mapping[str, str] = {"codeberg": "https://codeberg.org/api/v1"}
#: Check types that mean "on Codeberg" when ``forge`` is not set.
CODEBERG_TYPES = ("codeberg_release", "codeberg_commit")


@attrs.frozen
class Forge:
    """A Forgejo instance: the name the check used, its API base URL and our token for it."""

    name: str
    api_url: str
    token: Optional[str] = attrs.field(default=None, repr=False)

    def headers(self) -> dict[str, str]:
        """Request headers for this forge's API (the token, if any, as Forgejo expects it)."""
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"token {self.token}"
        return headers


def forge_from(
    target: str, check: Mapping[str, Any], credentials: Optional[Mapping[str, Any]]
) -> Forge:
    """Read ``forge`` (default ``codeberg`` for the codeberg_* types) and find its token."""
    name = optional_text(target, check, "forge")
    if not name:
        if check.get("type") in CODEBERG_TYPES:
            name = "codeberg"
        else:
            raise ConfigurationInvalid(
                "is mandatory: expected a known forge name (" + ", ".join(KNOWN_FORGES) + ") "
                "or an API base URL such as https://git.example.org/api/v1",
                key=key_path(target, "forge"),
            )
    name = name.strip()
    known = KNOWN_FORGES.get(name.lower())
    if known is not None:
        api_url = known
    elif "://" in name:
        api_url = http_url(target, "forge", name)
        if urlsplit(api_url).path in ("", "/"):
            api_url += "/api/v1"
    else:
        raise ConfigurationInvalid(
            "expected a known forge name (" + ", ".join(KNOWN_FORGES) + ") or an http(s) URL",
            key=key_path(target, "forge"),
        )
    return Forge(name=name, api_url=api_url, token=_token(name, api_url, credentials))


def _token(name: str, api_url: str, credentials: Optional[Mapping[str, Any]]) -> Optional[str]:
    tokens = (credentials or {}).get("forgejo")
    if not isinstance(tokens, Mapping):
        return None
    for key in (name, name.lower(), name.rstrip("/"), api_url, api_url + "/"):
        token = tokens.get(key)
        if isinstance(token, str) and token.strip():
            return token.strip()
    return None


def fetch_pages(
    http: HttpClient,
    url: str,
    *,
    target: str,
    headers: Mapping[str, str],
    max_pages: int,
    what: str,
    max_items: int,
    base: str,
) -> list[Any]:
    """The items of a paged JSON-list endpoint, following ``rel="next"`` up to ``max_pages``.

    At most ``max_items`` items are read in all (a server may put far more on a page than
    asked for), and credentials in ``headers`` go only to URLs below ``base``, also on a
    redirect. Raises CheckError if a page is not a JSON list; a next link that leaves
    ``base`` ends the list (see :mod:`._paging`).
    """
    items: list[Any] = []
    for response in pages(
        http, url, target=target, headers=headers, base=base, max_pages=max_pages
    ):
        items.extend(response.json_items(what, max_items - len(items)))
        if len(items) >= max_items:
            log.info("%s: stopped after reading %d items", target, len(items))
            break
    return items


def text_field(item: Mapping[str, Any], key: str) -> str:
    """A string from an API object (a tag, a name) if :func:`.value_problem` finds it a usable
    ``name``, else empty."""
    value = item.get(key)
    if not isinstance(value, str):
        return ""
    value = value.strip()
    return "" if value_problem(value, "name") else value
