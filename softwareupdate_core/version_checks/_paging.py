"""The one paginator of the forge checks (GitHub, Forgejo/Gitea, GitLab) and its origin rule.

A paged API answer names its next page in a ``Link: rel="next"`` header. That link is
followed only while it stays below the API base URL (same scheme, host and port, below its
path, no user information): the credentials sent to the API must never reach another origin.
A next link that leaves it ends the paging with one warning naming the target; the pages
read so far are kept, so a hostile or misconfigured link costs the rest of the list, not the
whole check.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from urllib.parse import urljoin, urlsplit

from ..http import HttpClient, HttpResponse
from ..http.response import safe_url

log = logging.getLogger(__name__)


def same_origin(url: str, base: str) -> bool:
    """Whether ``url`` has the scheme, host and port of ``base`` and lies below its path."""
    if "@" not in url and "\\" not in url and url.startswith(base.rstrip("/") + "/"):
        return "@" not in base  # plainly below: the common case, without parsing
    try:
        a, b = urlsplit(url), urlsplit(base)
        same = (a.scheme.lower(), a.hostname, a.port) == (b.scheme.lower(), b.hostname, b.port)
    except ValueError:
        return False
    prefix = b.path.rstrip("/")
    below = a.path == prefix or a.path.startswith(prefix + "/") or not prefix
    return same and not a.username and below


def pages(
    http: HttpClient,
    url: str,
    *,
    target: str,
    headers: Mapping[str, str],
    base: str,
    max_pages: int,
) -> Iterator[HttpResponse]:
    """``url`` and the pages its next links lead to, at most ``max_pages``, all below ``base``.

    Every page is a conditional GET whose credentials (in ``headers``) go only below
    ``base``, also on a redirect. The caller stops early by leaving the loop.
    """
    for page in range(1, max_pages + 1):
        response = http.get(url, headers=headers, conditional=True, credentials_base=base)
        yield response
        following = response.next_link
        if not following:
            return
        following = urljoin(url, following)
        if not same_origin(following, base):
            log.warning(
                "%s: not following the next-page link to %s, outside the API base %s; "
                "using the %d page%s read",
                target,
                safe_url(following),
                safe_url(base),
                page,
                "" if page == 1 else "s",
            )
            return
        if page == max_pages:
            log.info("%s: stopped after max_pages=%d pages", target, max_pages)
        url = following
