"""The HTTP client's glue to the farm's shared cache: single flight, shared answers and quotas.

Split from :mod:`softwareupdate_core.http.client`: with a ``shared_cache`` setting, one host
of the farm asks upstream for a URL and the others read its answer; a quota another host saw
spent refuses the request here too. The credential scope is a hash, never the token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

import attrs

from .conditional import StoredAnswer
from .ratelimit import RateLimit, rate_limit_error
from .response import Headers, HttpResponse

if TYPE_CHECKING:
    from ..store.shared_cache import CachedAnswer, SharedCache
    from .client import HttpClient

#: Sends the request upstream, given the farm (or None) and another host's validators.
Upstream = Callable[[Optional["Farm"], Optional[StoredAnswer]], HttpResponse]


@attrs.frozen
class Farm:
    """The shared cache and the credential scope (a hash, never the token) of one request."""

    cache: SharedCache
    scope: Optional[str]


def send_via_farm(
    client: HttpClient,
    shared: SharedCache,
    secrets: list[str],
    url: str,
    method: str,
    conditional: bool,
    body: Optional[bytes],
    upstream: Upstream,
) -> HttpResponse:
    """Send through the farm: a conditional GET is fetched once for all hosts, others as is."""
    from ..store.shared_cache import AnswerKey, credential_scope

    farm = Farm(shared, credential_scope(*secrets))
    if not (conditional and method == "GET" and body is None):
        return upstream(farm, None)
    return send_shared(client, farm, AnswerKey.for_url(url, farm.scope), url, upstream)


def send_shared(
    client: HttpClient, farm: Farm, key: Any, url: str, upstream: Upstream
) -> HttpResponse:
    """One host of the farm asks upstream for ``url``; the others read its shared answer."""
    from ..store.shared_cache import CachedAnswer

    since = client.forced_since
    newer_than = since if since is not None else client.clock() - client.shared_fresh_for
    fetched: list[HttpResponse] = []

    def fetch() -> Optional[CachedAnswer]:
        fallback = None
        if client.validators.get_answer(url) is None:
            seen = farm.cache.get_answer(key)  # another host's validators
            fallback = None if seen is None else stored_from(url, seen)
        response = upstream(farm, fallback)
        fetched.append(response)
        if not 200 <= response.status < 300:
            return None  # an error answer is not shared
        return CachedAnswer(
            response.status,
            response.body,
            dict(response.headers),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            stored_at=client.clock(),
        )

    bound = client.timeout[0] + client.timeout[1] + 1.0  # a holder's request ends by then
    answer = farm.cache.single_flight(
        key, fetch, newer_than=newer_than, lease_ms=int(bound * 1000), wait=bound
    )
    if fetched:
        return fetched[-1]
    if answer is None:  # not reached: single_flight fetched or found an answer
        return upstream(farm, None)
    client.count("shared_answers")
    if answer.etag or answer.last_modified:
        # kept locally too: with Redis gone, this host still asks conditionally
        client.validators.put_answer(stored_from(url, answer))
    return HttpResponse(url, answer.status, Headers(answer.headers), answer.body, True)


def check_farm_limit(client: HttpClient, farm: Farm, host: str) -> None:
    """Refuse to send when another host of the farm saw this quota spent."""
    until = farm.cache.blocked_until(host, farm.scope)
    if until is None:
        return
    client.count("refused_rate_limited")
    rate = RateLimit(remaining=0, reset=until)
    raise rate_limit_error(host, rate, status=None, api_message="", sent=False)


def share_rate_limit(farm: Farm, host: str, rate: RateLimit, now: float) -> None:
    """Tell the farm what ``host`` said about its quota (when it said both parts)."""
    if rate.remaining is None or rate.reset is None:
        return
    from ..store.shared_cache import RateLimitState

    farm.cache.put_rate_limit(
        host, farm.scope, RateLimitState(rate.remaining, rate.reset, rate.limit, now)
    )


def stored_from(url: str, answer: CachedAnswer) -> StoredAnswer:
    """A farm answer as this host's validator store keeps it."""
    return StoredAnswer(
        url=url,
        status=answer.status,
        body=answer.body,
        headers=dict(answer.headers),
        etag=answer.etag,
        last_modified=answer.last_modified,
        stored_at=answer.stored_at,
    )
